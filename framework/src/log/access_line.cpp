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

// Lines are written through a cursor into room reserved beforehand (`access_line_bound`):
// no capacity check per piece.
struct cursor {
    char* p;
    void put(char c) noexcept { *p++ = c; }
    void put(std::string_view s) noexcept {
        std::memcpy(p, s.data(), s.size());
        p += s.size();
    }
    // A line's numbers are mostly short (a status, a small body, a few milliseconds): those
    // without std::to_chars's general loop.
    void number(std::uint64_t n) noexcept {
        if (n < 10) {
            put(static_cast<char>('0' + n));
        } else if (n < 100) {
            p[0] = static_cast<char>('0' + n / 10);
            p[1] = static_cast<char>('0' + n % 10);
            p += 2;
        } else if (n < 1000) {
            digits3(static_cast<unsigned>(n));
        } else {
            p = std::to_chars(p, p + 20, n).ptr;
        }
    }
    void digits3(unsigned n) noexcept {
        p[0] = static_cast<char>('0' + n / 100);
        p[1] = static_cast<char>('0' + n / 10 % 10);
        p[2] = static_cast<char>('0' + n % 10);
        p += 3;
    }
    void millis(std::uint64_t us) noexcept {
        number(us / 1000);
        put('.');
        digits3(static_cast<unsigned>(us % 1000));
    }
};

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
constexpr char hex[] = "0123456789abcdef";

void escaped(cursor& out, std::string_view s, bool high) noexcept {
    const auto& table = high ? escapes.high : escapes.low;
    char* p = out.p;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (!table[c]) {
            *p++ = ch;
            continue;
        }
        p[0] = '\\';
        p[1] = 'x';
        p[2] = hex[c >> 4];
        p[3] = hex[c & 15];
        p += 4;
    }
    out.p = p;
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
void json_escaped(cursor& out, std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) {
            out.put(s[i++]);
            continue;
        }
        if (c >= 0x80) {
            if (auto n = utf8_length(s, i)) {
                out.put(s.substr(i, n));
                i += n;
                continue;
            }
        }
        if (c == '"' || c == '\\') {
            out.put('\\');
            out.put(static_cast<char>(c));
        } else {
            out.put("\\u00");
            out.put(hex[c >> 4]);
            out.put(hex[c & 15]);
        }
        ++i;
    }
}

std::string_view protocol(int version) noexcept {
    return version == 10 ? "HTTP/1.0" : version == 11 ? "HTTP/1.1" : std::string_view{};
}

void format_plain(cursor& out, std::string_view prefix, const access_entry& e) {
    const auto& t = now_text(access_format::plain);
    out.put({t.text, t.size});
    out.digits3(t.millis);
    out.put(prefix);
    escaped(out, e.remote, false);
    out.put(" \"");
    escaped(out, e.method, false);
    out.put(' ');
    escaped(out, e.target, false);
    out.put("\" ");
    out.number(static_cast<std::uint64_t>(e.status));
    out.put(' ');
    out.number(e.bytes);
    out.put(' ');
    out.millis(e.duration_us);
    out.put("ms");
    if (!e.request_id.empty()) {
        out.put(" \"");
        escaped(out, e.request_id, false);
        out.put('"');
    }
    out.put('\n');
}

void quoted_or_dash(cursor& out, std::string_view s) {
    out.put('"');
    if (s.empty()) out.put('-');
    else escaped(out, s, true);
    out.put('"');
}

void format_combined(cursor& out, const access_entry& e) {
    escaped(out, e.remote, true);
    out.put(" - - ");
    const auto& t = now_text(access_format::combined);
    out.put({t.text, t.size});
    out.put('"');
    escaped(out, e.method, true);
    out.put(' ');
    escaped(out, e.target, true);
    if (auto p = protocol(e.version); !p.empty()) {
        out.put(' ');
        out.put(p);
    }
    out.put("\" ");
    out.number(static_cast<std::uint64_t>(e.status));
    out.put(' ');
    out.number(e.bytes);
    out.put(' ');
    quoted_or_dash(out, e.referer);
    out.put(' ');
    quoted_or_dash(out, e.user_agent);
    if (!e.request_id.empty()) {
        out.put(' ');
        quoted_or_dash(out, e.request_id);
    }
    out.put('\n');
}

void json_field(cursor& out, std::string_view name, std::string_view value) {
    out.put(",\"");
    out.put(name);
    out.put("\":\"");
    json_escaped(out, value);
    out.put('"');
}

void format_json(cursor& out, const access_entry& e) {
    const auto& t = now_text(access_format::json);
    out.put("{\"time\":\"");
    out.put({t.text, t.size});
    out.digits3(t.millis);
    out.put({t.zone, t.zone_size});
    out.put('"');
    json_field(out, "remote", e.remote);
    json_field(out, "method", e.method);
    json_field(out, "target", e.target);
    json_field(out, "protocol", protocol(e.version));
    out.put(",\"status\":");
    out.number(static_cast<std::uint64_t>(e.status));
    out.put(",\"bytes\":");
    out.number(e.bytes);
    out.put(",\"duration_ms\":");
    out.millis(e.duration_us);
    json_field(out, "referer", e.referer);
    json_field(out, "user_agent", e.user_agent);
    json_field(out, "request_id", e.request_id);
    out.put("}\n");
}

} // namespace

bool parse_access_format(std::string_view text, access_format& out) noexcept {
    if (text == "default") out = access_format::plain;
    else if (text == "combined") out = access_format::combined;
    else if (text == "json") out = access_format::json;
    else return false;
    return true;
}

std::size_t access_line_bound(std::string_view prefix, const access_entry& e) noexcept {
    // Escaping at most sextuples a byte (\u00XX); the rest is fixed text and numbers.
    constexpr std::size_t fixed = 256;
    return fixed + prefix.size() +
        6 *
        (e.remote.size() + e.method.size() + e.target.size() + e.referer.size() + e.user_agent.size() +
         e.request_id.size());
}

char* format_access(char* out, access_format f, std::string_view prefix, const access_entry& e) noexcept {
    cursor c{out};
    switch (f) {
    case access_format::plain: format_plain(c, prefix, e); break;
    case access_format::combined: format_combined(c, e); break;
    case access_format::json: format_json(c, e); break;
    }
    return c.p;
}

void format_access(std::string& out, access_format f, std::string_view prefix, const access_entry& e) {
    const auto at = out.size();
    out.resize(at + access_line_bound(prefix, e));
    char* end = format_access(out.data() + at, f, prefix, e);
    out.resize(static_cast<std::size_t>(end - out.data()));
}

} // namespace nodus::log::detail
