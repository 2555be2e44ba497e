// Application settings: the registry the declarations join at static initialisation, and the
// parsers of their values (the rules nodus's own keys follow, shared in wording).
#include <nodus/config/setting.hpp>

#include "config/detail/declared.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace nodus {
namespace detail {
namespace {

struct registry {
    std::vector<setting_base*> all;
    std::uint64_t generation = 0;
};

// A function-local static: declarations at namespace scope in other translation units run
// in an unspecified order relative to this file's globals.
registry& the_registry() {
    static registry r;
    return r;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

} // namespace

setting_base::setting_base(std::string_view section, std::string_view name, std::string_view help,
                           const char* value_name)
    : section_(section), key_(fmt::format("{}.{}", section, name)), help_(help), value_name_(value_name) {
    auto& r = the_registry();
    r.all.push_back(this);
    ++r.generation;
}

setting_base::~setting_base() {
    auto& r = the_registry();
    r.all.erase(std::remove(r.all.begin(), r.all.end(), this), r.all.end());
    ++r.generation;
}

const std::vector<setting_base*>& declared_settings() { return the_registry().all; }
std::uint64_t declared_generation() { return the_registry().generation; }

std::string parse_bool(std::string_view text, bool& out) {
    const std::string t = lower(text);
    if (t == "true" || t == "on" || t == "yes" || t == "1") {
        out = true;
        return {};
    }
    if (t == "false" || t == "off" || t == "no" || t == "0") {
        out = false;
        return {};
    }
    return "must be true or false (or on/off, yes/no, 1/0)";
}

std::string parse_signed(std::string_view text, long long min, long long max, long long& out) {
    long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc::result_out_of_range ||
        (ec == std::errc{} && end == text.data() + text.size() && (v < min || v > max)))
        return fmt::format("must be from {} to {}", min, max);
    if (ec != std::errc{} || end != text.data() + text.size()) return "not a whole number";
    out = v;
    return {};
}

std::string parse_unsigned(std::string_view text, unsigned long long min, unsigned long long max,
                           unsigned long long& out) {
    // from_chars takes no sign for an unsigned type: "-1" would read as "not a number".
    if (!text.empty() && text.front() == '-') return fmt::format("must be from {} to {}", min, max);
    unsigned long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc::result_out_of_range ||
        (ec == std::errc{} && end == text.data() + text.size() && (v < min || v > max)))
        return fmt::format("must be from {} to {}", min, max);
    if (ec != std::errc{} || end != text.data() + text.size()) return "not a whole number";
    out = v;
    return {};
}

std::string parse_double(std::string_view text, double min, double max, double& out) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v)) return "not a number";
    if (v < min || v > max) return fmt::format("must be from {} to {}", min, max);
    out = v;
    return {};
}

std::string parse_text(std::string_view text, const std::vector<std::string>& choices) {
    if (!choices.empty() && std::find(choices.begin(), choices.end(), text) == choices.end())
        return fmt::format("must be one of: {}", fmt::join(choices, ", "));
    // A CR or LF would end up inside a response header or split a log line.
    if (has_control(text)) return "must not contain control characters";
    return {};
}

std::string parse_list(std::string_view text, std::vector<std::string>& out) {
    if (has_control(text)) return "must not contain control characters";
    std::vector<std::string> items;
    while (!trim(text).empty()) {
        const auto comma = text.find(',');
        const auto item = trim(text.substr(0, comma));
        if (item.empty()) return "an item of the comma-separated list is empty";
        items.emplace_back(item);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (comma != std::string_view::npos && trim(text).empty())
            return "an item of the comma-separated list is empty";
    }
    out = std::move(items);
    return {};
}

std::string show_double(double v) { return fmt::format("{}", v); }
std::string show_list(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ",")); }

} // namespace detail

void apply_settings(const config& cfg) {
    for (const auto* s : detail::declared_settings()) {
        auto it = cfg.app_settings.find(s->key());
        s->take(it == cfg.app_settings.end() ? std::string_view{s->default_text()}
                                             : std::string_view{it->second});
    }
}

} // namespace nodus
