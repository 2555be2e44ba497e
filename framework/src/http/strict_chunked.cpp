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
    "authorization", "cache-control", "connection", "content-encoding",
    "content-length", "content-range", "content-type", "cookie",
    "expect", "host", "if-match", "if-modified-since",
    "if-none-match", "if-range", "if-unmodified-since", "keep-alive",
    "max-forwards", "pragma", "proxy-authorization", "proxy-connection",
    "range", "set-cookie", "te", "trailer",
    "transfer-encoding", "upgrade",
};

} // namespace

bool valid_chunk_extensions(std::string_view ext) noexcept {
    const std::size_t n = ext.size();
    std::size_t i = 0;
    auto skip_bws = [&] { while (i < n && is_ows(ext[i])) ++i; };
    auto token = [&] {
        const std::size_t start = i;
        while (i < n && is_tchar(ext[i])) ++i;
        return i > start;
    };
    for (;;) {
        const std::size_t before = i;
        skip_bws();
        if (i == n) return i == before;
        if (ext[i] != ';') return false;
        ++i;
        skip_bws();
        if (!token()) return false;
        const std::size_t after_name = i;
        skip_bws();
        if (i < n && ext[i] == '=') {
            ++i;
            skip_bws();
            if (i < n && ext[i] == '"') {
                for (++i;; ++i) {
                    if (i == n) return false;
                    if (ext[i] == '"') break;
                    if (ext[i] == '\\') {
                        if (++i == n || !in_class(ext[i], cc::field_value)) return false;
                    } else if (!in_class(ext[i], cc::qdtext)) {
                        return false;
                    }
                }
                ++i;
            } else if (!token()) {
                return false;
            }
        } else {
            i = after_name;
        }
    }
}

verdict check_trailer_field(std::string_view name, std::string_view value) noexcept {
    if (!is_token(name)) return bad("bad trailer name");
    if (!all_in_class(value, cc::field_value)) return bad("bad trailer value");
    for (auto f : forbidden_trailers)
        if (iequals(name, f)) return bad("field not allowed in trailers");
    return {};
}

} // namespace nodus::http::detail
