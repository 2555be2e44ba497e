#pragma once
// Runs of bytes of one class, found several bytes per step: the strict request check and
// header validation read every byte of every head, so their per-byte cost is a large part
// of a small request's. Field values, targets and tokens are scanned 16 bytes at a time with
// SSE2 (part of every x86-64); the last bytes of a run, fewer than 16, in one more step that
// overlaps bytes already read when the buffer holds 16 before the end (a head's last line
// is short: "Accept: */*"). Other classes go four bytes per step through the class table.
#include "text/detail/char_class.hpp"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace nodus::detail {

/// The first byte of [p, end) not in class `k` (one char_class bit), or `end`.
inline const char* skip_class(const char* p, const char* end, std::uint8_t k) noexcept {
    while (end - p >= 4) {
        const auto a = char_classes[static_cast<unsigned char>(p[0])];
        const auto b = char_classes[static_cast<unsigned char>(p[1])];
        const auto c = char_classes[static_cast<unsigned char>(p[2])];
        const auto d = char_classes[static_cast<unsigned char>(p[3])];
        if ((a & b & c & d & k) == 0) break;
        p += 4;
    }
    while (p < end && in_class(*p, k)) ++p;
    return p;
}

#if defined(__SSE2__)
namespace scan_detail {
// Bytes of `x` that are <= `hi` (unsigned), as 0xff.
inline __m128i at_most(__m128i x, char hi) noexcept {
    return _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(hi)), x);
}
inline __m128i load(const char* p) noexcept { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline unsigned bits(__m128i m) noexcept { return static_cast<unsigned>(_mm_movemask_epi8(m)); }
// Whether p[0], p[1] are CR LF, in one two-byte compare (x86 is little-endian).
inline bool at_crlf(const char* p) noexcept {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    return w == ('\r' | '\n' << 8);
}

// The first byte of [p, end) that `stops` marks (a function of 16 bytes giving a 16-bit mask),
// or `end`; null when [begin, end) is shorter than 16 bytes and the rest must be read one by one.
template <class Stops>
inline const char* find_first(const char* begin, const char* p, const char* end, Stops stops) noexcept {
    while (end - p >= 16) {
        if (const unsigned m = stops(p)) return p + __builtin_ctz(m);
        p += 16;
    }
    if (p == end) return end;
    if (end - begin < 16) return nullptr;
    const unsigned m = stops(end - 16) >> (16 - (end - p));
    return m ? p + __builtin_ctz(m) : end;
}

// Bytes of `x` that are not field-value bytes: CTLs but HTAB (so CR and LF), and DEL.
inline unsigned field_value_stops_in(__m128i x) noexcept {
    const __m128i ctl = _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\t')), at_most(x, 0x1f));
    return bits(_mm_or_si128(ctl, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))));
}
inline unsigned field_value_stops(const char* p) noexcept { return field_value_stops_in(load(p)); }

inline unsigned target_stops(const char* p) noexcept {
    const __m128i x = load(p);
    const __m128i outside =
        _mm_or_si128(at_most(x, 0x20), _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x7f)), x));
    return bits(_mm_or_si128(outside, _mm_cmpeq_epi8(x, _mm_set1_epi8('#'))));
}

inline unsigned line_break_stops(const char* p) noexcept {
    const __m128i x = load(p);
    return bits(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))));
}

// Digits of `x`: moved by 0x80 - '0' (wrapping), '0'..'9' are the ten smallest signed bytes.
inline __m128i digits_in(__m128i x) noexcept {
    return _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(0x80 - '0'))),
                          _mm_set1_epi8(static_cast<char>(-128 + 10)));
}

// Bytes other than letters, digits and '-': nearly every method and field name is made of
// those only, and the table decides about the rare others. A letter with its 0x20 bit set is
// in 'a'..'z', which, moved as the digits are, are the 26 smallest signed bytes.
inline unsigned token_stops_in(__m128i x) noexcept {
    const __m128i lower = _mm_or_si128(x, _mm_set1_epi8(0x20));
    const __m128i alpha = _mm_cmplt_epi8(_mm_add_epi8(lower, _mm_set1_epi8(static_cast<char>(0x80 - 'a'))),
                                         _mm_set1_epi8(static_cast<char>(-128 + 26)));
    const __m128i simple = _mm_or_si128(_mm_or_si128(alpha, digits_in(x)), _mm_cmpeq_epi8(x, _mm_set1_epi8('-')));
    return ~bits(simple) & 0xffffu;
}
inline unsigned token_stops(const char* p) noexcept { return token_stops_in(load(p)); }
} // namespace scan_detail
#endif

/// The first byte of [p, end) that is not a field-value byte (HTAB, SP, VCHAR, obs-text), or
/// `end`. [begin, p) must be readable too: the last step may read from there.
inline const char* skip_field_value(const char* begin, const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    if (const char* q = scan_detail::find_first(begin, p, end, scan_detail::field_value_stops)) return q;
#endif
    return skip_class(p, end, char_class::field_value);
}

/// The first byte of [p, end) that is not a request-target byte (VCHAR but '#'), or `end`;
/// as skip_field_value.
inline const char* skip_target(const char* begin, const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    if (const char* q = scan_detail::find_first(begin, p, end, scan_detail::target_stops)) return q;
#endif
    return skip_class(p, end, char_class::target);
}

/// The first byte of [p, end) that is not a tchar (RFC 9110 5.6.2), or `end`; as
/// skip_field_value.
inline const char* skip_token(const char* begin, const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    for (;;) {
        const char* q = scan_detail::find_first(begin, p, end, scan_detail::token_stops);
        if (!q) break;
        if (q == end || !in_class(*q, char_class::tchar)) return q;
        p = q + 1;
    }
#endif
    return skip_class(p, end, char_class::tchar);
}

/// The first CR or LF of [p, end), or `end`; as skip_field_value.
inline const char* find_line_break(const char* begin, const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    if (const char* q = scan_detail::find_first(begin, p, end, scan_detail::line_break_stops)) return q;
#endif
    while (p < end && *p != '\r' && *p != '\n') ++p;
    return p;
}

/// The first "\r\n\r\n" of [p, end), else null. When it cannot tell (too few bytes for a
/// vector step) it returns null and leaves `p` where a plain search should start; when it
/// searched every position it leaves `p` at `end`.
inline const char* find_blank_line(const char*& p, const char* end) noexcept {
#if defined(__SSE2__)
    const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
    auto candidates = [&](const char* q) {
        auto at = [](const char* r) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(r)); };
        const __m128i m =
            _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(at(q), cr), _mm_cmpeq_epi8(at(q + 1), lf)),
                          _mm_and_si128(_mm_cmpeq_epi8(at(q + 2), cr), _mm_cmpeq_epi8(at(q + 3), lf)));
        return static_cast<unsigned>(_mm_movemask_epi8(m));
    };
    if (end - p < 19) return nullptr;
    for (; end - p >= 19; p += 16)
        if (const auto bits = candidates(p)) return p + __builtin_ctz(bits);
    // The last positions, in one step that overlaps the searched ones (which hold no match).
    p = end - 19;
    if (const auto bits = candidates(p)) return p + __builtin_ctz(bits);
    p = end;
#endif
    return nullptr;
}

/// Whether every byte of [p, end) is in class `k` (one char_class bit): the bits of all of
/// them and-ed, four per step, with one test at the end instead of one per step.
inline bool all_of_class(const char* p, const char* end, std::uint8_t k) noexcept {
    std::uint8_t acc = k;
    for (; end - p >= 4; p += 4)
        acc &= char_classes[static_cast<unsigned char>(p[0])] &
            char_classes[static_cast<unsigned char>(p[1])] & char_classes[static_cast<unsigned char>(p[2])] &
            char_classes[static_cast<unsigned char>(p[3])];
    for (; p < end; ++p) acc &= char_classes[static_cast<unsigned char>(*p)];
    return acc != 0;
}

/// `token = 1*tchar` (RFC 9110 5.6.2).
inline bool is_token_fast(std::string_view s) noexcept {
    // Under 16 bytes the vector step cannot run: the table, four bytes per step, is quicker.
    if (s.size() < 16) return !s.empty() && all_of_class(s.data(), s.data() + s.size(), char_class::tchar);
    return skip_token(s.data(), s.data(), s.data() + s.size()) == s.data() + s.size();
}

/// Every byte of `s` is a field-value byte; true for an empty `s`.
inline bool is_field_value(std::string_view s) noexcept {
    return skip_field_value(s.data(), s.data(), s.data() + s.size()) == s.data() + s.size();
}

} // namespace nodus::detail
