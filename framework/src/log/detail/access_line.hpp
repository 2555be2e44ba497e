#pragma once
// One access-log line, formatted without allocating: the three formats of `[log]
// access_format`, the wall-clock part formatted once per second (like the Date header).
#include <cstdint>
#include <string>
#include <string_view>

namespace nodus::log::detail {

enum class access_format : std::uint8_t {
    plain, ///< "[time] [access] [tag pid N] remote "METHOD target" status bytes D.DDDms"
    combined, ///< nginx's and Apache's "combined"
    json, ///< one JSON object per line
};

/// "default", "combined" or "json"; false for anything else.
bool parse_access_format(std::string_view text, access_format& out) noexcept;

/// What one line says. Views only: nothing is copied until the line is written.
struct access_entry {
    std::string_view remote;
    std::string_view method;
    std::string_view target;
    int version = 0; ///< 10, 11, or 0 when unknown (a request refused before its line was read)
    int status = 0;
    std::uint64_t bytes = 0; ///< body bytes sent
    std::uint64_t duration_us = 0;
    std::string_view referer; ///< read for combined and json only
    std::string_view user_agent; ///< read for combined and json only
    std::string_view request_id; ///< the response's X-Request-Id; empty when it has none
};

/// The most bytes the line of `e` can take.
std::size_t access_line_bound(std::string_view prefix, const access_entry& e) noexcept;

/// Writes the line of `e` (with its '\n') at `out`, which has room for
/// `access_line_bound(prefix, e)` bytes; returns its end. `prefix` is what follows the time
/// in the plain format ("] [access] [pid 12] ").
char* format_access(char* out, access_format f, std::string_view prefix, const access_entry& e) noexcept;

/// The same, appended to `out`.
void format_access(std::string& out, access_format f, std::string_view prefix, const access_entry& e);

} // namespace nodus::log::detail
