#include "static_files/detail/path.hpp"

namespace nodus::detail::files {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The length of the UTF-8 sequence at `s` (1-4), or 0 when it is not a valid one: overlong
// forms ("%C0%AE" for '.'), surrogates and code points past U+10FFFF are refused, so no
// second spelling of '.', '/' or '\' survives.
std::size_t utf8_length(std::string_view s) noexcept {
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
    unsigned char c = b(0);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && b(1) < 0xA0) return 0; // overlong
        if (c == 0xED && b(1) > 0x9F) return 0; // surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && b(1) < 0x90) return 0; // overlong
        if (c == 0xF4 && b(1) > 0x8F) return 0; // past U+10FFFF
        return 4;
    }
    return 0;
}

bool valid_utf8(std::string_view s) noexcept {
    while (!s.empty()) {
        auto n = utf8_length(s);
        if (n == 0) return false;
        s.remove_prefix(n);
    }
    return true;
}

// Decodes one segment (no '/' inside); false for a byte no file name here may hold.
bool decode_segment(std::string_view raw, std::string& out, path_verdict& verdict) {
    out.clear();
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            int hi = i + 2 < raw.size() ? hex_value(raw[i + 1]) : -1;
            int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                verdict = path_verdict::malformed;
                return false;
            }
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
            // An escaped separator would join two segments into one after the checks.
            if (c == '/') return false;
        }
        auto u = static_cast<unsigned char>(c);
        if (c == '\\' || u < 0x20 || u == 0x7F) return false;
        out.push_back(c);
    }
    return valid_utf8(out);
}

} // namespace

relative_path normalize_path(std::string_view raw) {
    relative_path r;
    r.trailing_slash = !raw.empty() && raw.back() == '/';
    if (raw.size() > max_relative_path) {
        r.verdict = path_verdict::not_found;
        return r;
    }
    std::string seg;
    while (!raw.empty()) {
        auto slash = raw.find('/');
        auto piece = raw.substr(0, slash);
        raw = slash == std::string_view::npos ? std::string_view{} : raw.substr(slash + 1);
        if (piece.empty()) continue;
        path_verdict v = path_verdict::not_found;
        if (!decode_segment(piece, seg, v)) {
            r.verdict = v;
            r.rel.clear();
            return r;
        }
        if (seg == ".") continue;
        if (seg == "..") {
            r.verdict = path_verdict::not_found;
            r.rel.clear();
            return r;
        }
        if (seg.front() == '.') r.dotfile = true;
        if (!r.rel.empty()) r.rel.push_back('/');
        r.rel += seg;
    }
    return r;
}

} // namespace nodus::detail::files
