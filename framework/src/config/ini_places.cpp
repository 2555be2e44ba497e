// The INI scanner behind the configuration's error messages: it reads the file the way
// ProgramOptions' config_file_iterator does.
#include "config/detail/ini_places.hpp"

#include <fmt/format.h>

namespace nodus::detail {

namespace {

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// '#' starts a comment, whitespace is trimmed, "[x]" makes x the prefix of the keys that
// follow.
template <class Match>
ini_place scan_ini(std::string_view content, Match match) {
    std::string prefix;
    std::string section;
    std::size_t number = 0;
    while (!content.empty()) {
        ++number;
        const auto nl = content.find('\n');
        std::string_view line = content.substr(0, nl);
        content = nl == std::string_view::npos ? std::string_view{} : content.substr(nl + 1);
        line = trim(line.substr(0, line.find('#')));
        if (line.empty()) continue;
        if (line.front() == '[' && line.back() == ']') {
            section = std::string(line.substr(1, line.size() - 2));
            prefix = section.empty() || section.back() != '.' ? section + "." : section;
            continue;
        }
        const auto eq = line.find('=');
        const std::string name =
            eq == std::string_view::npos ? std::string{} : std::string(trim(line.substr(0, eq)));
        const std::string full = eq == std::string_view::npos ? std::string{} : prefix + name;
        if (match(line, eq != std::string_view::npos, full)) return {number, section, name};
    }
    return {};
}

} // namespace

ini_place find_key(std::string_view content, std::string_view key, int occurrence) {
    return scan_ini(content, [&](std::string_view, bool is_key, const std::string& full) {
        return is_key && full == key && --occurrence == 0;
    });
}

ini_place find_malformed(std::string_view content, std::string_view text) {
    return scan_ini(content, [&](std::string_view line, bool is_key, const std::string&) {
        return !is_key && line == text;
    });
}

std::string file_where(const std::string& file, const ini_place& p, std::string_view key) {
    const std::string at = p.line ? fmt::format("{}:{}: ", file, p.line) : fmt::format("{}: ", file);
    if (!p.line) return at + std::string(key);
    if (p.section.empty()) return at + p.name;
    return fmt::format("{}[{}] {}", at, p.section, p.name);
}

} // namespace nodus::detail
