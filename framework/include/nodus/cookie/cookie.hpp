#pragma once
/** @file
    Cookies: reading the `Cookie` header and building `Set-Cookie` (RFC 6265bis).
*/
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>

namespace nodus {

/** One cookie the client sent. Views into the request's header (valid while a handle to
    the exchange lives) or into the string given to `parse_cookies`. */
struct cookie_pair {
    std::string_view name;
    std::string_view value; ///< without the double quotes of a quoted value; not decoded
};

/** Parse a `Cookie` field value ("a=1; b=2"). Pairs are split on ';' and trimmed of
    spaces and tabs; a pair without '=', or whose name is not a token (RFC 9110), is
    skipped; a value in double quotes loses them. Values are returned as sent (cookies
    have no escaping of their own). Repeated names are all kept, in order. */
std::vector<cookie_pair> parse_cookies(std::string_view header);

/** Every cookie of `req`, from all its `Cookie` fields, in order. */
std::vector<cookie_pair> cookies(const request& req);

/** The value of the first cookie `name` (case-sensitive); empty when absent. Scans the
    header without allocating. */
std::string_view cookie(const request& req, std::string_view name);
/** Whether `req` has a cookie `name` (also with an empty value). */
bool has_cookie(const request& req, std::string_view name);

/** `SameSite` attribute. */
enum class same_site_policy : std::uint8_t { unset, strict, lax, none };

/** The attributes of a `Set-Cookie`. Empty strings and unset optionals are left out. */
struct cookie_options {
    std::string path; ///< must start with '/'
    std::string domain; ///< a host name ("example.com"; a leading '.' is allowed)
    std::optional<std::chrono::seconds> max_age; ///< 0 or negative: delete now
    std::optional<std::chrono::system_clock::time_point> expires;
    bool secure = false;
    bool http_only = false;
    same_site_policy same_site = same_site_policy::unset; ///< `none` requires `secure`
    bool partitioned = false; ///< CHIPS; requires `secure`
};

/** The `Set-Cookie` field value for `name=value` with `opts`, or nothing when it would
    break the header or be rejected by browsers; then `*why` (if given) says what. Refused:
    a name that is not a token; a value with bytes outside cookie-octet (space, '"', ',',
    ';', '\\', controls, non-ASCII) other than one pair of surrounding double quotes; name
    and value over 4096 bytes; a path not starting with '/' or holding ';' or controls; a
    domain that is not a host name; an attribute over 1024 bytes; `SameSite=None` or
    `Partitioned` without `Secure`; a `__Secure-` name without `Secure`; a `__Host-` name
    without `Secure`, with a `Domain`, or with a `Path` other than "/". Encode arbitrary
    values first (percent or base64url encoding). */
std::optional<std::string> format_set_cookie(std::string_view name, std::string_view value,
                                             const cookie_options& opts = {}, std::string* why = nullptr);

/** Append a `Set-Cookie` line to `res`. Returns false, and sends nothing, when
    `format_set_cookie` refuses it (logged at warning level with the reason) or the
    headers were already sent.
    @code
    nodus::set_cookie(res, "sid", token, {.path = "/", .secure = true, .http_only = true,
                                          .same_site = nodus::same_site_policy::lax});
    @endcode */
bool set_cookie(const response& res, std::string_view name, std::string_view value,
                const cookie_options& opts = {});

/** Tell the client to delete cookie `name`: an empty value with `Max-Age=0` and an
    `Expires` in 1970. `opts.path` and `opts.domain` must match the ones the cookie was
    set with. */
bool clear_cookie(const response& res, std::string_view name, cookie_options opts = {});

} // namespace nodus
