// libFuzzer driver for the cookie module (framework/src/cookie/cookie.cpp).
//
// The input is a Cookie header value for parse_cookies, and (split at its first '\n') a name
// and value for format_set_cookie with attributes chosen by the first byte. Invariants: no
// crash; every parsed name is a token and every parsed view lies inside the input; a
// Set-Cookie that is produced holds no CR, LF, NUL or other control byte, its name=value
// part has no ';' inside (no attribute injection), and parse_cookies reads the pair back.
#include <nodus/cookie/cookie.hpp>

#include "text/detail/char_class.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {
void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_cookie: invariant failed: %s\n", what);
        std::abort();
    }
}

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() ||
        (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in{reinterpret_cast<const char*>(data), size};
    for (auto& c : nodus::parse_cookies(in)) {
        check(nodus::detail::is_token(c.name), "parsed name is a token");
        check(inside(c.name, in) && inside(c.value, in), "views point into the header");
    }
    if (in.empty()) return 0;
    auto flags = static_cast<std::uint8_t>(in[0]);
    auto rest = in.substr(1);
    auto nl = rest.find('\n');
    auto name = rest.substr(0, nl);
    auto value = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    auto nl2 = value.find('\n');
    std::string path{nl2 == std::string_view::npos ? std::string_view{} : value.substr(nl2 + 1)};
    value = value.substr(0, nl2);
    nodus::cookie_options o;
    if (flags & 1) o.path = path;
    if (flags & 2) o.domain = path;
    o.secure = flags & 4;
    o.http_only = flags & 8;
    o.same_site = static_cast<nodus::same_site_policy>((flags >> 4) & 3);
    o.partitioned = flags & 64;
    if (flags & 128) o.max_age = std::chrono::seconds{static_cast<std::int64_t>(size) - 100};
    auto line = nodus::format_set_cookie(name, value, o);
    if (!line) return 0;
    for (char ch : *line) {
        auto c = static_cast<unsigned char>(ch);
        check(c >= 0x20 && c != 0x7f, "no control byte in Set-Cookie");
    }
    auto first = std::string_view{*line}.substr(0, line->find(';'));
    check(first.size() == name.size() + 1 + value.size(), "name=value holds no ';'");
    auto back = nodus::parse_cookies(first);
    check(back.size() == 1 && back[0].name == name, "the pair parses back");
    return 0;
}
