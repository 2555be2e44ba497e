#pragma once
// Runs of bytes of one class, found several bytes per step: the strict request check and
// header validation read every byte of every head, so their per-byte cost is a large part
// of a small request's. Field values and targets, the long runs, are scanned 16 bytes at a
// time with SSE2 (part of every x86-64); tokens, whose class has no short vector form, four
// bytes per step through the class table.
#include "text/detail/char_class.hpp"

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
inline const char* first(const char* p, __m128i bad) noexcept {
    const auto m = static_cast<unsigned>(_mm_movemask_epi8(bad));
    return m ? p + __builtin_ctz(m) : nullptr;
}
} // namespace scan_detail
#endif

/// The first byte of [p, end) that is not a field-value byte (HTAB, SP, VCHAR, obs-text), or `end`.
inline const char* skip_field_value(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    using namespace scan_detail;
    while (end - p >= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i ctl = _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\t')), at_most(x, 0x1f));
        const __m128i bad = _mm_or_si128(ctl, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)));
        if (const char* q = first(p, bad)) return q;
        p += 16;
    }
#endif
    return skip_class(p, end, char_class::field_value);
}

/// The first byte of [p, end) that is not a request-target byte (VCHAR but '#'), or `end`.
inline const char* skip_target(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    using namespace scan_detail;
    while (end - p >= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i outside =
            _mm_or_si128(at_most(x, 0x20), _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x7f)), x));
        const __m128i bad = _mm_or_si128(outside, _mm_cmpeq_epi8(x, _mm_set1_epi8('#')));
        if (const char* q = first(p, bad)) return q;
        p += 16;
    }
#endif
    return skip_class(p, end, char_class::target);
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
    return !s.empty() && all_of_class(s.data(), s.data() + s.size(), char_class::tchar);
}

/// Every byte of `s` is a field-value byte; true for an empty `s`.
inline bool is_field_value(std::string_view s) noexcept {
    return skip_field_value(s.data(), s.data() + s.size()) == s.data() + s.size();
}

} // namespace nodus::detail
