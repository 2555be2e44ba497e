#pragma once
// Byte classes of HTTP and URI syntax (RFC 9110, RFC 9112, RFC 3986) and ASCII case folding,
// for every module that reads protocol text: the strict request checks, the router's method
// tokens, the query decoder. One table lookup per class test; no locale, nothing allocated.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace nodus::detail {

/// The classes a byte may belong to (several at once): bits of char_classes.
namespace char_class {
inline constexpr std::uint8_t tchar = 1; ///< token byte, RFC 9110 5.6.2
inline constexpr std::uint8_t target = 2; ///< request-target byte: VCHAR except '#'
inline constexpr std::uint8_t field_value = 4; ///< field-value byte: HTAB, SP, VCHAR, obs-text
inline constexpr std::uint8_t reg_name = 8; ///< unreserved, sub-delims except ',' (RFC 3986
    ///< 3.2.2; '%' of pct-encoded is not in it)
inline constexpr std::uint8_t digit = 16; ///< DIGIT
inline constexpr std::uint8_t hexdig = 32; ///< HEXDIG, either case
inline constexpr std::uint8_t scheme = 64; ///< scheme byte after the first ALPHA (RFC 3986 3.1)
inline constexpr std::uint8_t qdtext = 128; ///< quoted-string text, RFC 9110 5.6.4
} // namespace char_class

constexpr std::array<std::uint8_t, 256> make_char_classes() noexcept {
    using namespace char_class;
    std::array<std::uint8_t, 256> t{};
    auto add = [&t](const char* s, std::uint8_t k) {
        for (; *s; ++s) t[static_cast<unsigned char>(*s)] |= k;
    };
    for (std::size_t c = 'a'; c <= 'z'; ++c) t[c] |= tchar | reg_name | scheme;
    for (std::size_t c = 'A'; c <= 'Z'; ++c) t[c] |= tchar | reg_name | scheme;
    for (std::size_t c = '0'; c <= '9'; ++c) t[c] |= tchar | reg_name | scheme | digit | hexdig;
    for (std::size_t c = 'a'; c <= 'f'; ++c) t[c] |= hexdig;
    for (std::size_t c = 'A'; c <= 'F'; ++c) t[c] |= hexdig;
    add("!#$%&'*+-.^_`|~", tchar);
    add("-._~!$&'()*+;=", reg_name);
    add("+-.", scheme);
    for (std::size_t c = 0x21; c <= 0x7e; ++c) t[c] |= target | field_value;
    t['#'] &= static_cast<std::uint8_t>(~target);
    t['\t'] |= field_value | qdtext;
    t[' '] |= field_value | qdtext;
    for (std::size_t c = 0x80; c <= 0xff; ++c) t[c] |= field_value | qdtext;
    for (std::size_t c = 0x21; c <= 0x7e; ++c)
        if (c != '"' && c != '\\') t[c] |= qdtext;
    return t;
}

/// For each byte, the char_class bits it has.
inline constexpr std::array<std::uint8_t, 256> char_classes = make_char_classes();

/// True when `c` is in any of the classes `k` (char_class bits).
constexpr bool in_class(char c, std::uint8_t k) noexcept {
    return (char_classes[static_cast<unsigned char>(c)] & k) != 0;
}

/// True when every byte of `s` is in the classes `k`; true for an empty `s`.
constexpr bool all_in_class(std::string_view s, std::uint8_t k) noexcept {
    for (char c : s)
        if (!in_class(c, k)) return false;
    return true;
}

constexpr bool is_tchar(char c) noexcept { return in_class(c, char_class::tchar); }

/// `token = 1*tchar` (RFC 9110 5.6.2): methods, field names, list elements.
constexpr bool is_token(std::string_view s) noexcept {
    return !s.empty() && all_in_class(s, char_class::tchar);
}

/// OWS byte (RFC 9110 5.6.3): SP or HTAB.
constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

/// ASCII case-insensitive equality (field names, tokens); other bytes compare exactly.
/// Used instead of boost::beast::iequals, which in Boost 1.81 reads one byte past the end
/// of both strings when they differ only in case.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto diff = static_cast<unsigned char>(a[i] ^ b[i]);
        if (diff == 0) continue;
        // Equal but for case: only the 0x20 bit differs, and the byte is a letter.
        const auto lower = static_cast<unsigned char>(a[i] | 0x20);
        if (diff != 0x20 || lower < 'a' || lower > 'z') return false;
    }
    return true;
}

/// Whether `token`, known to be all tchar, equals `lower` (lowercase letters, digits and '-')
/// but for ASCII case: several bytes per step. For a tchar byte t, (t | 0x20) is one of those
/// bytes only when t is that byte or its capital.
inline bool token_is(std::string_view token, std::string_view lower) noexcept {
    const std::size_t n = token.size();
    if (n != lower.size()) return false;
    const char* const t = token.data();
    const char* const l = lower.data();
    auto eq8 = [](const char* a, const char* b) {
        std::uint64_t x, y;
        std::memcpy(&x, a, 8);
        std::memcpy(&y, b, 8);
        return (x | 0x2020202020202020u) == y;
    };
    auto eq4 = [](const char* a, const char* b) {
        std::uint32_t x, y;
        std::memcpy(&x, a, 4);
        std::memcpy(&y, b, 4);
        return (x | 0x20202020u) == y;
    };
    if (n >= 8) {
        for (std::size_t i = 0; i + 8 < n; i += 8)
            if (!eq8(t + i, l + i)) return false;
        return eq8(t + n - 8, l + n - 8);
    }
    if (n >= 4) return eq4(t, l) && eq4(t + n - 4, l + n - 4);
    for (std::size_t i = 0; i < n; ++i)
        if ((t[i] | 0x20) != l[i]) return false;
    return true;
}

/// Whether the comma-separated list `list` (RFC 9110 5.6.1, e.g. a Connection value) holds
/// `token`, compared case-insensitively; empty elements and OWS around them are skipped.
constexpr bool list_has_token(std::string_view list, std::string_view token) noexcept {
    while (true) {
        const auto comma = list.find(',');
        if (iequals(trim_ows(list.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) return false;
        list.remove_prefix(comma + 1);
    }
}

} // namespace nodus::detail
