#pragma once
// Validators (ETag, Last-Modified) and the conditional request fields that compare with
// them (RFC 9110 13), in the order 13.2.2 gives.
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace nodus {
class request;
}

namespace nodus::detail::files {

/// What the current representation is known by; an empty `etag` or a `modified` of -1
/// means that validator is not used.
struct validators {
    std::string etag; // "\"ino-size-mtime\"", quoted
    std::time_t modified = -1; // seconds since the epoch
};

/// A strong entity tag from the file's identity: inode, size and modification time (ns).
std::string make_etag(std::uint64_t inode, std::uint64_t size, std::int64_t mtime_ns);

/// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), 29 bytes.
std::string format_http_date(std::time_t t);
/// IMF-fixdate, RFC 850 and asctime forms (RFC 9110 5.6.7); nullopt when none fits.
std::optional<std::time_t> parse_http_date(std::string_view s);

/// True when `list` (an If-Match / If-None-Match value) names `etag` or is "*". `weak`:
/// W/ prefixes are ignored (If-None-Match); otherwise a weak tag never matches (If-Match).
bool etag_matches(std::string_view list, std::string_view etag, bool weak);

enum class precondition : std::uint8_t { pass, not_modified, failed };

/// Evaluate If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since for a
/// GET or HEAD: `failed` is 412, `not_modified` is 304.
precondition evaluate_preconditions(const request& req, const validators& v);

/// If-Range: true when the Range may be honoured (no If-Range, or it names the current
/// representation: a strong ETag equal to ours, or a date equal to Last-Modified).
bool if_range_holds(const request& req, const validators& v);

} // namespace nodus::detail::files
