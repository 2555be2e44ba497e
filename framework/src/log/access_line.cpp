#include "log/detail/access_line.hpp"

#include <array>
#include <charconv>
#include <cstring>
#include <ctime>

namespace nodus::log::detail {

namespace {

// The wall clock's second, formatted for each format once per second and per thread.
// CLOCK_REALTIME_COARSE: a line's time is the loop's "now" to a few milliseconds, as in
// nginx's cached time, for a fraction of a full clock read.
struct clock_text {
    std::time_t second = -1;
    access_format format = access_format::plain;
    char text[48] = {};
    std::size_t size = 0;
    char zone[8] = {}; // json: the UTC offset as RFC 3339 writes it, "+01:00"
    std::size_t zone_size = 0;
    unsigned millis = 0;
};

void format_second(clock_text& c, std::time_t t, access_format f) {
    std::tm tm{};
    ::localtime_r(&t, &tm);
    c.second = t;
    c.format = f;
    switch (f) {
    case access_format::plain:
        c.size = std::strftime(c.text, sizeof c.text, "[%Y-%m-%d %H:%M:%S.", &tm);
        break;
    case access_format::combined:
        c.size = std::strftime(c.text, sizeof c.text, "[%d/%b/%Y:%H:%M:%S %z] ", &tm);
        break;
    case access_format::json: {
        c.size = std::strftime(c.text, sizeof c.text, "%Y-%m-%dT%H:%M:%S.", &tm);
        char z[8];
        if (std::strftime(z, sizeof z, "%z", &tm) == 5) {
            const char zone[6] = {z[0], z[1], z[2], ':', z[3], z[4]};
            std::memcpy(c.zone, zone, sizeof zone);
            c.zone_size = sizeof zone;
        } else {
            c.zone[0] = 'Z';
            c.zone_size = 1;
        }
        break;
    }
    }
}

const clock_text& now_text(access_format f) {
    thread_local clock_text c;
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != c.second || f != c.format) format_second(c, ts.tv_sec, f);
    c.millis = static_cast<unsigned>(ts.tv_nsec / 1000000);
    return c;
}

void append_number(std::string& out, std::uint64_t n) {
    char b[24];
    auto r = std::to_chars(b, b + sizeof b, n);
    out.append(b, r.ptr);
}

void append_3digits(std::string& out, unsigned n) {
    const char d[3] = {char('0' + n / 100), char('0' + n / 10 % 10), char('0' + n % 10)};
    out.append(d, 3);
}

// Client bytes that could forge a line or break the quoting, as nginx writes them: \xHH.
// `high`: bytes of 0x80 and above too (combined, where tools expect plain ASCII).
struct escape_table {
    std::array<bool, 256> low{}, high{};
    constexpr escape_table() {
        for (int c = 0; c < 256; ++c) {
            low[c] = c < 0x20 || c == 0x7f || c == '"' || c == '\\';
            high[c] = low[c] || c >= 0x80;
        }
    }
};
constexpr escape_table escapes;

void append_escaped(std::string& out, std::string_view s, bool high) {
    const auto& table = high ? escapes.high : escapes.low;
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (!table[c]) continue;
        out.append(s.data() + run, i - run);
        const char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
        out.append(e, 4);
        run = i + 1;
    }
    out.append(s.data() + run, s.size() - run);
}

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const auto c = b(0);
    std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (c > 0xf4 || n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((b(k) & 0xc0) != 0x80) return 0;
    if (n == 3 && ((c == 0xe0 && b(1) < 0xa0) || (c == 0xed && b(1) > 0x9f))) return 0; // overlong, surrogate
    if (n == 4 && ((c == 0xf0 && b(1) < 0x90) || (c == 0xf4 && b(1) > 0x8f))) return 0;
    return n;
}

// A JSON string's contents: control characters as \u00XX, bytes that are not UTF-8 as the
// code point of the same value, so the line always parses.
void append_json(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            if (auto n = utf8_length(s, i)) {
                i += n;
                continue;
            }
        }
        out.append(s.data() + run, i - run);
        if (c == '"' || c == '\\') {
            const char e[2] = {'\\', static_cast<char>(c)};
            out.append(e, 2);
        } else {
            const char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            out.append(e, 6);
        }
        run = ++i;
    }
    out.append(s.data() + run, s.size() - run);
}

std::string_view protocol(int version) noexcept {
    return version == 10 ? "HTTP/1.0" : version == 11 ? "HTTP/1.1" : std::string_view{};
}

void format_plain(std::string& out, std::string_view prefix, const access_entry& e) {
    const auto& t = now_text(access_format::plain);
    out.append(t.text, t.size);
    append_3digits(out, t.millis);
    out += prefix;
    append_escaped(out, e.remote, false);
    out.append(" \"", 2);
    append_escaped(out, e.method, false);
    out += ' ';
    append_escaped(out, e.target, false);
    out.append("\" ", 2);
    append_number(out, static_cast<std::uint64_t>(e.status));
    out += ' ';
    append_number(out, e.bytes);
    out += ' ';
    append_number(out, e.duration_us / 1000);
    out += '.';
    append_3digits(out, static_cast<unsigned>(e.duration_us % 1000));
    out.append("ms", 2);
    if (!e.request_id.empty()) {
        out.append(" \"", 2);
        append_escaped(out, e.request_id, false);
        out += '"';
    }
    out += '\n';
}

void quoted_or_dash(std::string& out, std::string_view s) {
    out += '"';
    if (s.empty()) out += '-';
    else append_escaped(out, s, true);
    out += '"';
}

void format_combined(std::string& out, const access_entry& e) {
    append_escaped(out, e.remote, true);
    out.append(" - - ", 5);
    const auto& t = now_text(access_format::combined);
    out.append(t.text, t.size);
    out += '"';
    append_escaped(out, e.method, true);
    out += ' ';
    append_escaped(out, e.target, true);
    if (auto p = protocol(e.version); !p.empty()) {
        out += ' ';
        out += p;
    }
    out.append("\" ", 2);
    append_number(out, static_cast<std::uint64_t>(e.status));
    out += ' ';
    append_number(out, e.bytes);
    out += ' ';
    quoted_or_dash(out, e.referer);
    out += ' ';
    quoted_or_dash(out, e.user_agent);
    if (!e.request_id.empty()) {
        out += ' ';
        quoted_or_dash(out, e.request_id);
    }
    out += '\n';
}

void json_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(",\"", 2);
    out += name;
    out.append("\":\"", 3);
    append_json(out, value);
    out += '"';
}

void format_json(std::string& out, const access_entry& e) {
    const auto& t = now_text(access_format::json);
    out.append("{\"time\":\"", 9);
    out.append(t.text, t.size);
    append_3digits(out, t.millis);
    out.append(t.zone, t.zone_size);
    out += '"';
    json_field(out, "remote", e.remote);
    json_field(out, "method", e.method);
    json_field(out, "target", e.target);
    json_field(out, "protocol", protocol(e.version));
    out.append(",\"status\":", 10);
    append_number(out, static_cast<std::uint64_t>(e.status));
    out.append(",\"bytes\":", 9);
    append_number(out, e.bytes);
    out.append(",\"duration_ms\":", 15);
    append_number(out, e.duration_us / 1000);
    out += '.';
    append_3digits(out, static_cast<unsigned>(e.duration_us % 1000));
    json_field(out, "referer", e.referer);
    json_field(out, "user_agent", e.user_agent);
    json_field(out, "request_id", e.request_id);
    out.append("}\n", 2);
}

} // namespace

bool parse_access_format(std::string_view text, access_format& out) noexcept {
    if (text == "default") out = access_format::plain;
    else if (text == "combined") out = access_format::combined;
    else if (text == "json") out = access_format::json;
    else return false;
    return true;
}

void format_access(std::string& out, access_format f, std::string_view prefix, const access_entry& e) {
    switch (f) {
    case access_format::plain: format_plain(out, prefix, e); break;
    case access_format::combined: format_combined(out, e); break;
    case access_format::json: format_json(out, e); break;
    }
}

} // namespace nodus::log::detail
