// libFuzzer driver for the static_files path normaliser
// (framework/src/static_files/detail/path.hpp): the input is the request path after the
// mount prefix. Invariants: deterministic; an accepted path is relative, has no empty, "."
// or ".." segment, no backslash, NUL or other control byte, is valid UTF-8 and within
// max_relative_path; `dotfile` is set exactly when a segment starts with '.'; decoding
// never lengthens the path.
#include "static_files/detail/path.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace files = nodus::detail::files;

namespace {
void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_static_path: invariant failed: %s\n", what);
        std::abort();
    }
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; k < n; ++k) {
            auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        static constexpr std::uint32_t min_for[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n;
    }
    return true;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in{reinterpret_cast<const char*>(data), size};
    auto a = files::normalize_path(in);
    auto b = files::normalize_path(in);
    check(a.verdict == b.verdict && a.rel == b.rel && a.dotfile == b.dotfile, "deterministic");
    if (a.verdict != files::path_verdict::ok) {
        check(a.rel.empty(), "a refused path names nothing");
        return 0;
    }
    const auto& rel = a.rel;
    check(rel.size() <= in.size() && rel.size() <= files::max_relative_path, "never longer");
    check(valid_utf8(rel), "valid UTF-8");
    bool dot = false;
    std::string_view rest{rel};
    while (!rest.empty()) {
        auto slash = rest.find('/');
        auto seg = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        check(!seg.empty(), "no empty segment (no leading, doubled or trailing '/')");
        check(seg != "." && seg != "..", "no dot segment");
        if (seg.front() == '.') dot = true;
        if (slash != std::string_view::npos) check(!rest.empty(), "no trailing '/'");
    }
    for (char c : rel) {
        auto u = static_cast<unsigned char>(c);
        check(c != '\\' && u >= 0x20 && u != 0x7F, "no backslash or control byte");
    }
    check(dot == a.dotfile, "dotfile flag");
    return 0;
}
