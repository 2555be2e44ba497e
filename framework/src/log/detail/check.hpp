#pragma once
// Checking a [log] configuration before anything is switched to it (a reload).
#include <nodus/config/config.hpp>

namespace nodus::log::detail {

/// Whether `init(cfg)` could open its destination now: a file destination is opened the
/// way init() opens it (appended to, missing directories created) and closed again;
/// `stderr` and `stdout` always can.
/// @throws config_error naming the destination and why it cannot be opened.
void check(const log_config& cfg);

} // namespace nodus::log::detail
