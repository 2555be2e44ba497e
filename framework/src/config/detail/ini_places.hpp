#pragma once
// Where a key or a line is in an INI file's text, for error messages: ProgramOptions reports
// no line numbers.
#include <cstddef>
#include <string>
#include <string_view>

namespace nodus::detail {

struct ini_place {
    std::size_t line = 0; ///< 1-based; 0 when not found
    std::string section; ///< as written, without brackets; empty before any section
    std::string name; ///< the key as written
};

/// The `occurrence`th line that sets `key` ("section.key").
ini_place find_key(std::string_view content, std::string_view key, int occurrence = 1);
/// The first line that is not a key, a section or a comment and reads `text` once trimmed.
ini_place find_malformed(std::string_view content, std::string_view text);
/// "FILE:LINE: [section] key" (or less, where less is known).
std::string file_where(const std::string& file, const ini_place& p, std::string_view key);

} // namespace nodus::detail
