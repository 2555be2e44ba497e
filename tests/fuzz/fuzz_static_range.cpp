// libFuzzer driver for the static_files header parsers (framework/src/static_files/): the
// Range parser, HTTP dates and Accept-Encoding weights. Byte 0-7 give the file size, byte 8
// max_ranges; the rest is the header value. Invariants: deterministic; a partial answer has
// 1..max_ranges ranges, each inside the file with first <= last, none overlapping when
// there are several; unsatisfiable has none; a parsed date formats back to a date that
// parses to the same time; a weight lies in 0..1000.
#include "static_files/detail/negotiate.hpp"
#include "static_files/detail/range.hpp"
#include "static_files/detail/validators.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace files = nodus::detail::files;

namespace {
void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_static_range: invariant failed: %s\n", what);
        std::abort();
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 9) return 0;
    std::uint64_t file_size = 0;
    std::memcpy(&file_size, data, 8);
    // Small sizes matter most (0, 1, around the positions in the header); keep some large.
    if (!(file_size & 1)) file_size = (file_size >> 1) % 4096;
    else file_size >>= 1;
    unsigned max_ranges = data[8] % 20;
    std::string_view in{reinterpret_cast<const char*>(data) + 9, size - 9};

    auto a = files::parse_range(in, file_size, max_ranges);
    auto b = files::parse_range(in, file_size, max_ranges);
    check(a.outcome == b.outcome && a.ranges.size() == b.ranges.size(), "deterministic");
    switch (a.outcome) {
    case files::range_outcome::whole: break;
    case files::range_outcome::unsatisfiable: check(a.ranges.empty(), "unsatisfiable has no range"); break;
    case files::range_outcome::partial: {
        check(!a.ranges.empty() && a.ranges.size() <= max_ranges, "1..max_ranges ranges");
        for (const auto& r : a.ranges)
            check(r.first <= r.last && r.last < file_size, "range inside the file");
        auto sorted = a.ranges;
        std::sort(sorted.begin(), sorted.end(), [](auto& x, auto& y) { return x.first < y.first; });
        for (std::size_t i = 1; i < sorted.size(); ++i)
            check(sorted[i].first > sorted[i - 1].last, "no overlap");
        break;
    }
    }

    if (auto t = files::parse_http_date(in)) {
        auto again = files::parse_http_date(files::format_http_date(*t));
        check(again && *again == *t, "date round trip");
    }
    for (std::string_view coding : {"br", "gzip", "identity"}) {
        int w = files::coding_weight(in, coding);
        check(w >= 0 && w <= 1000, "weight in 0..1000");
    }
    auto order = files::siblings_for(in, true, true);
    check(order.count <= 2, "at most two siblings");
    return 0;
}
