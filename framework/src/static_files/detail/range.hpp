#pragma once
// The Range header (RFC 9110 14.1-14.2), bytes unit only.
#include <cstdint>
#include <string_view>
#include <vector>

namespace nodus::detail::files {

struct byte_range {
    std::uint64_t first = 0;
    std::uint64_t last = 0; // inclusive
    std::uint64_t length() const noexcept { return last - first + 1; }
};

enum class range_outcome : std::uint8_t {
    whole, // no usable Range (absent, malformed, another unit, too many or overlapping): 200
    partial, // `ranges` are satisfiable, in the order asked: 206
    unsatisfiable, // well-formed, but no range starts inside the file: 416
};

struct range_request {
    range_outcome outcome = range_outcome::whole;
    std::vector<byte_range> ranges;
};

/// Parse `header` for a representation of `size` bytes. Ranges that start past the end are
/// dropped; a last position past the end is cut to it. More than `max_ranges` ranges, or
/// ranges that overlap, give `whole` (RFC 9110 14.2 lets a server ignore such a request).
range_request parse_range(std::string_view header, std::uint64_t size, unsigned max_ranges);

} // namespace nodus::detail::files
