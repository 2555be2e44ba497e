#pragma once
// The HTTP server's way into the access log: a whole entry at a time, in the format the
// configuration chose.
#include "log/detail/access_line.hpp"

namespace nodus::log::detail {

/// Write the line of `e`, or count it as dropped. Call only while `access_enabled()`.
void access(const access_entry& e) noexcept;

/// True when the format shows request headers (Referer, User-Agent): the caller looks
/// them up only then.
bool access_shows_headers() noexcept;

} // namespace nodus::log::detail
