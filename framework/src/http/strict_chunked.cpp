// Strict checks of a chunked body (RFC 9112 7.1): chunk extensions and trailer fields.
#include "http/detail/strict.hpp"

#include "text/detail/char_class.hpp"

namespace nodus::http::detail {
namespace {

namespace cc = nodus::detail::char_class;
using nodus::detail::all_in_class;
using nodus::detail::iequals;
using nodus::detail::in_class;
using nodus::detail::is_ows;
using nodus::detail::is_tchar;
using nodus::detail::is_token;

constexpr verdict bad(const char* why) noexcept { return {400, why}; }

// RFC 9110 6.5.1: fields that frame, route, modify or authenticate a request, or describe
// how to process the content, must be known before the content and so cannot be trailers.
constexpr std::string_view forbidden_trailers[] = {
    "authorization",
    "cache-control",
    "connection",
    "content-encoding",
    "content-length",
    "content-range",
    "content-type",
    "cookie",
    "expect",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "keep-alive",
    "max-forwards",
    "pragma",
    "proxy-authorization",
    "proxy-connection",
    "range",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
};

// chunk_ext_scanner's states: where the bytes so far leave the extension grammar.
enum ext_state : std::uint8_t {
    x_start, // after the size or a whole extension: may end
    x_ws, // BWS after x_start: ';' must follow
    x_semi, // after ';' (and BWS): a name must follow
    x_name, // in a name: may end
    x_name_ws, // BWS after a name: '=' or ';' must follow
    x_eq, // after '=' (and BWS): a value must follow
    x_token, // in a token value: may end
    x_quoted, // in a quoted string
    x_escape, // after a backslash in a quoted string
    x_bad,
};

} // namespace

bool chunk_ext_scanner::step(char c) noexcept {
    auto next = [&]() -> ext_state {
        switch (state_) {
        case x_start:
        case x_ws: return c == ';' ? x_semi : is_ows(c) ? x_ws : x_bad;
        case x_semi: return is_tchar(c) ? x_name : is_ows(c) ? x_semi : x_bad;
        case x_name:
            if (is_tchar(c)) return x_name;
            [[fallthrough]];
        case x_name_ws: return c == '=' ? x_eq : c == ';' ? x_semi : is_ows(c) ? x_name_ws : x_bad;
        case x_eq: return c == '"' ? x_quoted : is_tchar(c) ? x_token : is_ows(c) ? x_eq : x_bad;
        case x_token: return is_tchar(c) ? x_token : c == ';' ? x_semi : is_ows(c) ? x_ws : x_bad;
        case x_quoted:
            return c == '"' ? x_start : c == '\\' ? x_escape : in_class(c, cc::qdtext) ? x_quoted : x_bad;
        case x_escape: return in_class(c, cc::field_value) ? x_quoted : x_bad;
        default: return x_bad;
        }
    };
    state_ = next();
    return state_ != x_bad;
}

bool chunk_ext_scanner::can_end() const noexcept {
    return state_ == x_start || state_ == x_name || state_ == x_token;
}

bool valid_chunk_extensions(std::string_view ext) noexcept {
    chunk_ext_scanner scan;
    for (char c : ext)
        if (!scan.step(c)) return false;
    return scan.can_end();
}

verdict check_trailer_field(std::string_view name, std::string_view value) noexcept {
    if (!is_token(name)) return bad("bad trailer name");
    if (!all_in_class(value, cc::field_value)) return bad("bad trailer value");
    for (auto f : forbidden_trailers)
        if (iequals(name, f)) return bad("field not allowed in trailers");
    return {};
}

} // namespace nodus::http::detail
