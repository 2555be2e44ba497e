#include "static_files/detail/range.hpp"

#include "text/detail/char_class.hpp"

#include <algorithm>

namespace nodus::detail::files {

namespace {

// DIGITs as a number that saturates (a position past any file is as good as infinity);
// false when `s` is empty or holds anything else.
bool parse_number(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty()) return false;
    constexpr std::uint64_t cap = std::uint64_t{1} << 62;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v >= cap ? cap : v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = v;
    return true;
}

struct spec_result {
    bool valid = false;
    bool satisfiable = false;
    byte_range range;
};

spec_result parse_spec(std::string_view spec, std::uint64_t size) noexcept {
    spec_result r;
    auto dash = spec.find('-');
    if (dash == std::string_view::npos) return r;
    auto a = spec.substr(0, dash), b = spec.substr(dash + 1);
    std::uint64_t first = 0, last = 0;
    if (a.empty()) {
        // suffix-range: the last `last` bytes.
        if (!parse_number(b, last)) return r;
        r.valid = true;
        if (last == 0 || size == 0) return r;
        r.range = {size - std::min(last, size), size - 1};
        r.satisfiable = true;
        return r;
    }
    if (!parse_number(a, first)) return r;
    if (!b.empty()) {
        if (!parse_number(b, last) || last < first) return r;
    } else {
        last = UINT64_MAX;
    }
    r.valid = true;
    if (first >= size) return r;
    r.range = {first, std::min(last, size - 1)};
    r.satisfiable = true;
    return r;
}

bool overlapping(std::vector<byte_range> v) {
    std::sort(v.begin(), v.end(), [](const byte_range& x, const byte_range& y) { return x.first < y.first; });
    for (std::size_t i = 1; i < v.size(); ++i)
        if (v[i].first <= v[i - 1].last) return true;
    return false;
}

} // namespace

range_request parse_range(std::string_view header, std::uint64_t size, unsigned max_ranges) {
    range_request out;
    auto eq = header.find('=');
    if (eq == std::string_view::npos || !iequals(trim_ows(header.substr(0, eq)), "bytes")) return out;
    auto set = header.substr(eq + 1);
    bool any = false;
    unsigned specs = 0;
    while (!set.empty() || !any) {
        auto comma = set.find(',');
        auto spec = trim_ows(set.substr(0, comma));
        set = comma == std::string_view::npos ? std::string_view{} : set.substr(comma + 1);
        if (spec.empty()) {
            if (set.empty() && !any) return {}; // "bytes=" or only commas
            continue;
        }
        any = true;
        // Counted before parsing: a header of thousands of ranges costs no more than this.
        if (++specs > max_ranges) return {};
        auto r = parse_spec(spec, size);
        if (!r.valid) return {};
        if (r.satisfiable) out.ranges.push_back(r.range);
    }
    if (out.ranges.empty()) {
        out.outcome = range_outcome::unsatisfiable;
        return out;
    }
    if (out.ranges.size() > 1 && overlapping(out.ranges)) return {};
    out.outcome = range_outcome::partial;
    return out;
}

} // namespace nodus::detail::files
