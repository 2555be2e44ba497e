#pragma once
// The registry of the application's declared settings (nodus/config/setting.hpp), read by
// the configuration schema in config.cpp.
#include <nodus/config/setting.hpp>

#include <cstdint>
#include <vector>

namespace nodus::detail {

/// Every setting alive, in declaration order.
const std::vector<setting_base*>& declared_settings();
/// Changes whenever a setting is declared or destroyed: the schema is rebuilt then.
std::uint64_t declared_generation();

} // namespace nodus::detail
