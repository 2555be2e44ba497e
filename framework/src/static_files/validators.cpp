#include "static_files/detail/validators.hpp"

#include <nodus/http/request.hpp>

#include "text/detail/char_class.hpp"

#include <array>
#include <cstdio>

namespace nodus::detail::files {

namespace {

constexpr std::array<std::string_view, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int month_index(std::string_view m) noexcept {
    for (std::size_t i = 0; i < months.size(); ++i)
        if (m == months[i]) return static_cast<int>(i);
    return -1;
}

bool digits(std::string_view s, int& out) noexcept {
    if (s.empty()) return false;
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

// "08:49:37"
bool clock_time(std::string_view s, std::tm& tm) noexcept {
    return s.size() == 8 && s[2] == ':' && s[5] == ':' && digits(s.substr(0, 2), tm.tm_hour) &&
        digits(s.substr(3, 2), tm.tm_min) && digits(s.substr(6, 2), tm.tm_sec) && tm.tm_hour < 24 &&
        tm.tm_min < 60 && tm.tm_sec < 61;
}

std::optional<std::time_t> to_time(std::tm& tm) noexcept {
    if (tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_year < 0) return std::nullopt;
    auto t = ::timegm(&tm);
    if (t == static_cast<std::time_t>(-1)) return std::nullopt;
    return t;
}

// The entity tags of a list, one by one: `fn(tag)` with the quotes, and the W/ prefix.
template <class Fn>
bool any_tag(std::string_view list, Fn&& fn) {
    while (!list.empty()) {
        auto comma = list.find(',');
        auto tag = trim_ows(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (!tag.empty() && fn(tag)) return true;
    }
    return false;
}

} // namespace

std::string make_etag(std::uint64_t inode, std::uint64_t size, std::int64_t mtime_ns) {
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "\"%llx-%llx-%llx\"", static_cast<unsigned long long>(inode),
                          static_cast<unsigned long long>(size), static_cast<unsigned long long>(mtime_ns));
    return {buf, static_cast<std::size_t>(n)};
}

std::string format_http_date(std::time_t t) {
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[40];
    int n = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7].data(),
                          tm.tm_mday, months[tm.tm_mon % 12].data(), tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                          tm.tm_sec);
    return {buf, static_cast<std::size_t>(n)};
}

std::optional<std::time_t> parse_http_date(std::string_view s) {
    s = trim_ows(s);
    std::tm tm{};
    int year = 0;
    if (s.size() == 29 && s[3] == ',' && s.substr(25) == " GMT") {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        if (s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ') return std::nullopt;
        if (!digits(s.substr(5, 2), tm.tm_mday) || !digits(s.substr(12, 4), year) ||
            !clock_time(s.substr(17, 8), tm))
            return std::nullopt;
        tm.tm_mon = month_index(s.substr(8, 3));
        tm.tm_year = year - 1900;
        return to_time(tm);
    }
    if (auto comma = s.find(", "); comma != std::string_view::npos && comma > 3 && s.ends_with(" GMT")) {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        auto rest = s.substr(comma + 2);
        if (rest.size() != 22 || rest[2] != '-' || rest[6] != '-' || rest[9] != ' ') return std::nullopt;
        if (!digits(rest.substr(0, 2), tm.tm_mday) || !digits(rest.substr(7, 2), year) ||
            !clock_time(rest.substr(10, 8), tm))
            return std::nullopt;
        tm.tm_mon = month_index(rest.substr(3, 3));
        // RFC 9110 5.6.7: a two-digit year more than 50 years ahead is in the past century.
        tm.tm_year = year < 70 ? year + 100 : year;
        return to_time(tm);
    }
    if (s.size() == 24 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ' && s[19] == ' ') {
        // asctime: "Sun Nov  6 08:49:37 1994"
        auto day = trim_ows(s.substr(8, 2));
        if (!digits(day, tm.tm_mday) || !clock_time(s.substr(11, 8), tm) || !digits(s.substr(20, 4), year))
            return std::nullopt;
        tm.tm_mon = month_index(s.substr(4, 3));
        tm.tm_year = year - 1900;
        return to_time(tm);
    }
    return std::nullopt;
}

bool etag_matches(std::string_view list, std::string_view etag, bool weak) {
    if (trim_ows(list) == "*") return true;
    if (etag.empty()) return false;
    return any_tag(list, [&](std::string_view tag) {
        if (tag.starts_with("W/")) {
            if (!weak) return false;
            tag.remove_prefix(2);
        }
        return tag == etag;
    });
}

precondition evaluate_preconditions(const request& req, const validators& v) {
    // RFC 9110 13.2.2: If-Match, else If-Unmodified-Since; then If-None-Match, else
    // If-Modified-Since. A date that does not parse makes its field be ignored.
    if (req.has_header("If-Match")) {
        if (!etag_matches(req.header("If-Match"), v.etag, false)) return precondition::failed;
    } else if (v.modified >= 0 && req.has_header("If-Unmodified-Since")) {
        auto d = parse_http_date(req.header("If-Unmodified-Since"));
        if (d && v.modified > *d) return precondition::failed;
    }
    if (req.has_header("If-None-Match")) {
        if (etag_matches(req.header("If-None-Match"), v.etag, true)) return precondition::not_modified;
    } else if (v.modified >= 0 && req.has_header("If-Modified-Since")) {
        auto d = parse_http_date(req.header("If-Modified-Since"));
        if (d && v.modified <= *d) return precondition::not_modified;
    }
    return precondition::pass;
}

bool if_range_holds(const request& req, const validators& v) {
    if (!req.has_header("If-Range")) return true;
    auto value = trim_ows(req.header("If-Range"));
    if (value.starts_with('"')) return !v.etag.empty() && value == v.etag;
    if (value.starts_with("W/")) return false; // a weak tag never validates a range
    auto d = parse_http_date(value);
    return d && v.modified >= 0 && *d == v.modified;
}

} // namespace nodus::detail::files
