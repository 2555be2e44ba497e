#include "text/detail/percent.hpp"

#include <cstring>

namespace nodus::detail {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

bool needs_decoding(std::string_view s, bool plus_as_space) noexcept {
    if (!plus_as_space) return !s.empty() && std::memchr(s.data(), '%', s.size()) != nullptr;
    for (char const c : s)
        if (c == '%' || c == '+') return true;
    return false;
}

std::size_t percent_decode(std::string_view in, char* out, bool plus_as_space) noexcept {
    char* o = out;
    std::size_t const n = in.size();
    for (std::size_t i = 0; i < n; ++i) {
        char const c = in[i];
        if (c == '%' && i + 2 < n) {
            int const hi = hex_value(in[i + 1]);
            int const lo = hex_value(in[i + 2]);
            if (hi >= 0 && lo >= 0) {
                *o++ = static_cast<char>(hi << 4 | lo);
                i += 2;
                continue;
            }
        }
        *o++ = (plus_as_space && c == '+') ? ' ' : c;
    }
    return static_cast<std::size_t>(o - out);
}

} // namespace nodus::detail
