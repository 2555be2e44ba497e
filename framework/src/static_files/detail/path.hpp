#pragma once
// From the part of a request path after the mount prefix to a path relative to the root,
// by string rules alone (the opened file is checked again: detail/open.hpp).
#include <cstdint>
#include <string>
#include <string_view>

namespace nodus::detail::files {

enum class path_verdict : std::uint8_t {
    ok,
    not_found, // cannot name a file below the root ("..", an encoded '/', a NUL byte...)
    malformed, // a broken percent-escape
};

struct relative_path {
    path_verdict verdict = path_verdict::ok;
    std::string rel; // "css/site.css"; empty for the root itself
    bool trailing_slash = false; // asks for a directory
    bool dotfile = false; // a segment starts with '.'
};

/// Longest relative path accepted, in bytes (PATH_MAX less room for the root and a suffix).
inline constexpr std::size_t max_relative_path = 3072;

/// Decode `raw` ("" or starting with '/', as it appears in the request, not decoded) once
/// and check it: segments are split on '/' only after decoding is refused for "%2F" and
/// "%5C"; empty and "." segments are dropped; ".." anywhere, a backslash, a NUL or other
/// control byte, and bytes that are not valid UTF-8 (overlong forms included) name no file.
relative_path normalize_path(std::string_view raw);

} // namespace nodus::detail::files
