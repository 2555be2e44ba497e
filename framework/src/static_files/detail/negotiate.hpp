#pragma once
// What a file is sent as: its media type from the extension, and which precompressed
// sibling (NAME.br, NAME.gz) the client's Accept-Encoding allows.
#include <cstdint>
#include <string_view>

namespace nodus::detail::files {

/// The Content-Type for a file name, by its extension (case-insensitive), with
/// "; charset=utf-8" for text types; application/octet-stream for unknown ones.
std::string_view content_type_for(std::string_view name) noexcept;

/// The weight (0-1000) `accept_encoding` gives `coding` (RFC 9110 12.5.3): its own q, or
/// that of "*" when it is not named, else 0; "x-gzip" counts as "gzip". Malformed
/// elements are ignored.
int coding_weight(std::string_view accept_encoding, std::string_view coding) noexcept;

/// The precompressed siblings to try, best first, up to two: ".br" and/or ".gz".
struct sibling_order {
    std::string_view suffix[2];
    std::string_view coding[2];
    std::uint8_t count = 0;
};
sibling_order siblings_for(std::string_view accept_encoding, bool br, bool gzip) noexcept;

} // namespace nodus::detail::files
