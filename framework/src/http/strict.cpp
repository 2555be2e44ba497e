#include "http/detail/strict.hpp"

#include <cstring>
#include <limits>

#include "text/detail/char_class.hpp"
#include "text/detail/scan.hpp"
#include "text/detail/uri.hpp"

namespace nodus::http::detail {
namespace {

namespace cc = nodus::detail::char_class;
using nodus::detail::absolute_form;
using nodus::detail::iequals;
using nodus::detail::in_class;
using nodus::detail::is_ows;
using nodus::detail::is_token_fast;
using nodus::detail::is_tchar;
using nodus::detail::skip_field_value;
using nodus::detail::skip_target;
using nodus::detail::skip_token;
using nodus::detail::split_absolute_form;
using nodus::detail::token_is;
using nodus::detail::trim_ows;
using nodus::detail::valid_host;

constexpr verdict bad(const char* why) noexcept { return {400, why}; }
constexpr verdict line_too_long{414, "request line too long"};
constexpr verdict target_too_long{414, "target too long"};
constexpr verdict head_too_large{431, "head too large"};
constexpr verdict too_many_fields{431, "too many fields"};
constexpr verdict unsupported_version{505, "unsupported version"};

// Calls f(element) for each non-empty, OWS-trimmed element of a comma list (RFC 9110 5.6.1).
template <class F>
void for_each_element(std::string_view list, F&& f) {
    for (;;) {
        auto comma = list.find(',');
        auto e = trim_ows(list.substr(0, comma));
        if (!e.empty()) f(e);
        if (comma == std::string_view::npos) return;
        list.remove_prefix(comma + 1);
    }
}

// ---------------------------------------------------------------- RFC 9112 3: request line
// The rules here are shared by the full check (a complete head, read front to back) and the
// partial one (a growing buffer, a byte at a time), so both give the same answer.

// The target's own limit, and the whole line's, which leaves room for a method and the version.
struct line_limits {
    std::size_t max_target;
    std::size_t max_line;

    explicit line_limits(const nodus::http_config& cfg) noexcept
        : max_target(cfg.max_url_bytes), max_line(cfg.max_url_bytes + 32) {}

    // The line broke `at` bytes in: 414 when it is too long already, whatever follows.
    verdict broken(std::size_t at, const char* why) const noexcept {
        return at > max_line ? line_too_long : bad(why);
    }

    // `at` bytes in, just past the target's SP: the version's 8 bytes no longer fit.
    bool no_room_for_version(std::size_t at) const noexcept { return at + 8 > max_line; }
};

// HTTP-version (RFC 9112 2.3): 1.0 and 1.1 are served, any other is 505.
constexpr bool supported_version(char major, char minor) noexcept {
    return major == '1' && (minor == '0' || minor == '1');
}

// RFC 9112 3.2: origin-form, absolute-form, authority-form (CONNECT only), asterisk-form
// (OPTIONS only).
bool valid_target_form(std::string_view method, std::string_view target) noexcept {
    if (target == "*") return method == "OPTIONS";
    if (method == "CONNECT") return valid_host(target, true);
    if (target[0] == '/') return true;
    absolute_form parts;
    return split_absolute_form(target, parts) && valid_host(parts.authority, false);
}

// ---------------------------------------------------------------- RFC 9112 5: field lines
// Shared by the full and the partial check, as above.

// A field line that starts with neither a tchar nor the CR of the final CRLF.
constexpr verdict bad_field_start(char c) noexcept {
    return bad(is_ows(c)       ? "obs-fold"
                   : c == ':'  ? "empty field name"
                   : c == '\n' ? "bare LF"
                               : "bad field name");
}

// A field value ended by `c` (NUL for the end of the input), neither a value byte nor CR.
constexpr verdict bad_value_end(char c) noexcept { return bad(c == '\n' ? "bare LF" : "bad field value"); }

// ---------------------------------------------------------------- the complete head

// Reads a complete head front to back.
struct head_reader {
    const char* const begin;
    const char* p;
    const char* const end;

    explicit head_reader(std::string_view head) noexcept
        : begin(head.data()), p(head.data()), end(head.data() + head.size()) {}

    std::size_t offset() const noexcept { return static_cast<std::size_t>(p - begin); }
    std::size_t left() const noexcept { return static_cast<std::size_t>(end - p); }

    // The run of bytes from here up to `stop`, which becomes the position.
    std::string_view take_until(const char* stop) noexcept {
        const char* const from = p;
        p = stop;
        return {from, static_cast<std::size_t>(stop - from)};
    }
    std::string_view take_token() noexcept { return take_until(skip_token(begin, p, end)); }
    std::string_view take_target() noexcept { return take_until(skip_target(begin, p, end)); }
    std::string_view take_value() noexcept { return take_until(skip_field_value(begin, p, end)); }

    // Steps over `c` if it is next.
    bool skip(char c) noexcept {
        if (p == end || *p != c) return false;
        ++p;
        return true;
    }
};

struct request_line {
    std::string_view method;
    std::string_view target;
    int version = 11;
};

// RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, then the CRLF that ends the line.
verdict check_version(head_reader& r, request_line& line) noexcept {
    const char* const v = r.p;
    if (r.left() < 10 || std::memcmp(v, "HTTP/", 5) != 0 || !in_class(v[5], cc::digit) || v[6] != '.' ||
        !in_class(v[7], cc::digit))
        return bad("bad version");
    if (v[8] != '\r' || v[9] != '\n') return bad("bad request line end");
    if (!supported_version(v[5], v[7])) return unsupported_version;
    line.version = v[7] == '1' ? 11 : 10;
    r.p += 10;
    return {};
}

// RFC 9112 3: request-line = method SP request-target SP HTTP-version CRLF.
verdict check_request_line(head_reader& r, const line_limits& lim, request_line& line) noexcept {
    line.method = r.take_token();
    if (line.method.empty() || !r.skip(' ')) return lim.broken(r.offset(), "bad method");
    line.target = r.take_target();
    if (line.target.size() > lim.max_target) return target_too_long;
    if (line.target.empty() || !r.skip(' ')) return lim.broken(r.offset(), "bad target");
    if (lim.no_room_for_version(r.offset())) return line_too_long;
    if (auto v = check_version(r, line)) return v;
    if (!valid_target_form(line.method, line.target)) return bad("bad target form");
    return {};
}

// RFC 9112 5.1: field-name ":", no whitespace before the colon. `r` is not at the end.
verdict read_field_name(head_reader& r, std::string_view& name) noexcept {
    name = r.take_token();
    if (name.empty()) return bad_field_start(*r.p);
    if (!r.skip(':')) return bad("bad field name");
    return {};
}

// RFC 9112 5: OWS field-value OWS CRLF; `value` without the OWS.
verdict read_field_value(head_reader& r, std::string_view& value) noexcept {
    while (r.p < r.end && is_ows(*r.p)) ++r.p;
    value = r.take_value();
    if (r.p == r.end || *r.p != '\r') return bad_value_end(r.p == r.end ? '\0' : *r.p);
    if (r.left() < 2 || r.p[1] != '\n') return bad("bare CR");
    r.p += 2;
    while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
    return {};
}

// The field line nearly every client sends, read in one 16-byte step where the careful
// readers above take several: a name of letters, digits and '-' shorter than 16 bytes, ':',
// OWS, then field-value bytes up to CRLF. True when it read such a line: `r` is past its
// CRLF, and `name` and `value` are what read_field_name and read_field_value give. False,
// with `r` unmoved, for any other line, which those readers take (and report on). `r` is
// neither at the end nor at a CR.
bool read_common_field_line(head_reader& r, std::string_view& name, std::string_view& value) noexcept {
#if defined(__SSE2__)
    namespace sv = nodus::detail::scan_detail;
    const char* const s = r.p;
    const std::ptrdiff_t left = r.end - s;
    if (r.end - r.begin < 16) return false;
    // The 16 bytes from s; near the end, the input's last 16, shifted so that bit 0 is s's.
    const char* const at = left >= 16 ? s : r.end - 16;
    const auto shift = static_cast<unsigned>(s - at);
    const __m128i x = sv::load(at);
    const unsigned name_stops = sv::token_stops_in(x) >> shift;
    if (name_stops == 0) return false; // a long name, or one that runs to the end
    const auto n = static_cast<unsigned>(__builtin_ctz(name_stops));
    if (n == 0 || s[n] != ':') return false;
    const char* v = s + n + 1; // s[n] is before the end, so v is at most the end
    // One SP after the colon, as nearly every client sends; else any run of OWS.
    if (r.end - v >= 2 && v[0] == ' ' && !is_ows(v[1]))
        ++v;
    else
        while (v < r.end && is_ows(*v)) ++v;
    const auto off = static_cast<unsigned>(v - s);
    const char* e;
    if (off < 16 - shift) {
        const unsigned m = (sv::field_value_stops_in(x) >> shift) >> off;
        e = m ? v + __builtin_ctz(m) : left >= 16 ? skip_field_value(r.begin, s + 16, r.end) : r.end;
    } else {
        e = skip_field_value(r.begin, v, r.end);
    }
    if (r.end - e < 2 || !sv::at_crlf(e)) return false;
    name = {s, n};
    value = {v, static_cast<std::size_t>(e - v)};
    // e[-1] is at or after the colon; trailing OWS is rare.
    if (is_ows(e[-1]))
        while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
    r.p = e + 2;
    return true;
#else
    (void)r, (void)name, (void)value;
    return false;
#endif
}

// RFC 9110 7.2, RFC 9112 3.2: exactly one Host in an HTTP/1.1 request (an empty value is
// allowed), at most one in HTTP/1.0, and a valid uri-host [":" port].
struct host_field {
    int count = 0;

    // `value` lies in an input that starts at `head`.
    verdict add(const char* head, std::string_view value) noexcept {
        if (++count > 1) return bad("duplicate Host");
        if (!value.empty() && !common_host(head, value) && !valid_host(value)) return bad("bad Host");
        return {};
    }

    // Whether `value` is a Host in the form nearly every client sends, name[":" port] with a
    // name of letters, digits, '.' and '-' (a reg-name, an IPv4 address among them), read in
    // one 16-byte step; false for any other value, which valid_host then decides on.
    static bool common_host(const char* head, std::string_view value) noexcept {
#if defined(__SSE2__)
        const char* const end = value.data() + value.size();
        if (value.size() > 16 || end - head < 16) return false;
        namespace sv = nodus::detail::scan_detail;
        const __m128i x = sv::load(end - 16);
        const unsigned dots = sv::bits(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
        const unsigned stops = (sv::token_stops_in(x) & ~dots) >> (16 - value.size());
        if (stops == 0) return true;
        const auto i = static_cast<std::size_t>(__builtin_ctz(stops));
        if (i == 0 || value[i] != ':' || value.size() - i > 6) return false;
        // The port: digits only (bits i + 1 to the end), at most 65535.
        const unsigned port_bits = (0xffffu >> (16 - value.size())) & ~((2u << i) - 1);
        const unsigned digits = sv::bits(sv::digits_in(x)) >> (16 - value.size());
        if ((digits & port_bits) != port_bits) return false;
        if (value.size() - i - 1 < 5) return true;
        const auto d = [&](std::size_t k) { return static_cast<unsigned>(value[i + 1 + k] - '0'); };
        return (((d(0) * 10 + d(1)) * 10 + d(2)) * 10 + d(3)) * 10 + d(4) <= 65535;
#else
        (void)head, (void)value;
        return false;
#endif
    }

    verdict finish(int version) const noexcept {
        return version == 11 && count == 0 ? bad("missing Host") : verdict{};
    }
};

// RFC 9112 6.1-6.3: the body's length, from Transfer-Encoding or Content-Length.
struct framing_fields {
    bool te_seen = false, te_last_chunked = false, te_chunked = false, te_other = false;

    // Duplicates and lists are refused even when all values agree (RFC 9112 6.3 allows
    // them): one rule is simpler to get right than a merge, as in llhttp.
    static verdict add_content_length(std::string_view value, head_info& out) noexcept {
        if (out.has_content_length) return bad("duplicate Content-Length");
        if (value.empty()) return bad("bad Content-Length");
        constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        std::uint64_t n = 0;
        for (char c : value) {
            if (!in_class(c, cc::digit)) return bad("bad Content-Length");
            const auto d = static_cast<std::uint64_t>(c - '0');
            if (n > (max - d) / 10) return bad("Content-Length overflow");
            n = n * 10 + d;
        }
        out.content_length = n;
        out.has_content_length = true;
        return {};
    }

    verdict add_transfer_encoding(std::string_view value) noexcept {
        // Beast refuses any Transfer-Encoding line after one naming chunked, even an empty
        // one: refusing it here keeps the two parsers in agreement.
        if (te_chunked) return bad("Transfer-Encoding after chunked");
        te_seen = true;
        verdict error{};
        for_each_element(value, [&](std::string_view e) {
            if (error) return;
            if (!is_token_fast(e)) {
                error = bad("bad Transfer-Encoding");
            } else if (token_is(e, "chunked")) {
                if (te_chunked) error = bad("chunked twice");
                te_chunked = te_last_chunked = true;
            } else {
                te_other = true;
                te_last_chunked = false;
            }
        });
        return error;
    }

    verdict finish(int version, head_info& out) const noexcept {
        if (!te_seen) return {};
        if (version == 10) return bad("Transfer-Encoding in HTTP/1.0");
        if (out.has_content_length) return bad("Transfer-Encoding with Content-Length");
        // Without chunked last, a request body has no determinable length (RFC 9112 6.3).
        if (!te_last_chunked) return bad("final coding not chunked");
        if (te_other) return {501, "unsupported transfer coding"};
        out.chunked = true;
        return {};
    }
};

// RFC 9110 7.6.1 Connection, 7.8 Upgrade; RFC 9112 9.3 persistence.
struct connection_fields {
    bool close = false, keep_alive = false, upgrade_token = false, upgrade_field = false;

    // `value` lies in a head that starts at `head` (the token scan may read from there).
    verdict add_connection(const char* head, std::string_view value) noexcept {
        const char* const end = value.data() + value.size();
        if (!value.empty() && skip_token(head, value.data(), end) == end) {
            add_token(value); // one token, as nearly every client sends
            return {};
        }
        bool tokens = true;
        for_each_element(value, [&](std::string_view e) {
            if (!is_token_fast(e)) tokens = false;
            else add_token(e);
        });
        return tokens ? verdict{} : bad("bad Connection");
    }

    void add_token(std::string_view e) noexcept {
        if (token_is(e, "close")) close = true;
        else if (token_is(e, "keep-alive")) keep_alive = true;
        else if (token_is(e, "upgrade")) upgrade_token = true;
    }

    void finish(int version, head_info& out) const noexcept {
        out.keep_alive = version == 11 ? !close : keep_alive && !close;
        out.upgrade = upgrade_field && upgrade_token;
    }
};

// RFC 9110 10.1.1: 100-continue is the only expectation met, 417 for any other; an
// HTTP/1.0 request's Expect is ignored.
struct expect_field {
    bool other = false;

    void add(std::string_view value, head_info& out) noexcept {
        for_each_element(value, [&](std::string_view e) {
            if (token_is(e, "100-continue")) out.expect_continue = true;
            else other = true;
        });
    }

    verdict finish() const noexcept { return other ? verdict{417, "unsupported expectation"} : verdict{}; }
};

// What the fields of one head say, gathered line by line, decided on at the end.
struct head_fields {
    const char* head;
    int version;
    head_info& out;
    host_field host;
    framing_fields framing;
    connection_fields connection;
    expect_field expect;

    verdict add(std::string_view name, std::string_view value) noexcept {
        // The length picks the few names to compare.
        switch (name.size()) {
        case 4:
            if (token_is(name, "host")) return host.add(head, value);
            break;
        case 6:
            if (version == 11 && token_is(name, "expect")) expect.add(value, out);
            break;
        case 7:
            if (token_is(name, "upgrade")) connection.upgrade_field = true;
            break;
        case 10:
        case 16:
            // Proxy-Connection as Connection, as llhttp and Beast read it.
            if (token_is(name, "connection") || token_is(name, "proxy-connection"))
                return connection.add_connection(head, value);
            break;
        case 14:
            if (token_is(name, "content-length")) return framing.add_content_length(value, out);
            break;
        case 17:
            if (token_is(name, "transfer-encoding")) return framing.add_transfer_encoding(value);
            break;
        default: break;
        }
        return {};
    }
};

// RFC 9112 5: the field lines up to the empty line that ends the head, each checked as read.
// With `whole`, the head must end at the end of the input; else the input may go on.
verdict check_field_lines(head_reader& r, const nodus::http_config& cfg, head_fields& fields,
                          std::vector<nodus::header_field>* collect, bool whole) {
    std::size_t count = 0;
    for (;;) {
        if (r.p == r.end) return bad("head not terminated");
        if (*r.p == '\r') break;
        std::string_view name, value;
        if (read_common_field_line(r, name, value)) {
            if (++count > cfg.max_headers) return too_many_fields;
        } else {
            if (auto v = read_field_name(r, name)) return v;
            if (++count > cfg.max_headers) return too_many_fields;
            if (auto v = read_field_value(r, value)) return v;
        }
        if (auto v = fields.add(name, value)) return v;
        if (collect) collect->push_back({name, value});
    }
    if (r.left() < 2 || r.p[1] != '\n') return bad("bare CR");
    r.p += 2;
    if (whole && r.p != r.end) return bad("bytes after head");
    return {};
}

// ---------------------------------------------------------------- a head still incomplete
// A byte at a time, resumable: partial_scan keeps the state between calls, so each byte is
// looked at once however the head arrives.

enum scan_state : std::uint8_t {
    s_lead,
    s_lead_cr,
    s_method,
    s_target,
    s_version,
    s_version_lf, // request line
    s_line,
    s_name,
    s_value,
    s_line_cr,
    s_end_cr,
    s_done, // field lines
};

// The run of target bytes from s.pos, up to the SP after it (state s_version), or to the end
// of buf (state still s_target).
verdict scan_target(std::string_view buf, const line_limits& lim, partial_scan& s) noexcept {
    const std::size_t start = s.pos;
    s.pos = static_cast<std::size_t>(skip_target(buf.data(), buf.data() + s.pos, buf.data() + buf.size()) -
                                     buf.data());
    s.count += s.pos - start;
    s.line_bytes += s.pos - start;
    if (s.count > lim.max_target) return target_too_long;
    if (s.pos == buf.size()) return {};
    if (buf[s.pos] != ' ' || s.count == 0) return lim.broken(s.line_bytes, "bad target");
    if (lim.no_room_for_version(++s.line_bytes)) return line_too_long;
    s.state = s_version;
    s.count = 0;
    return {};
}

// RFC 9112 2.2 (empty lines before the request line) and 3: from s.pos up to the end of the
// request line or of buf, or to the byte that breaks the line, saying why.
verdict scan_request_line(std::string_view buf, const line_limits& lim, partial_scan& s) noexcept {
    for (; s.pos < buf.size() && s.state < s_line; ++s.pos) {
        const char c = buf[s.pos];
        switch (s.state) {
        case s_lead:
            if (c == '\r') {
                s.state = s_lead_cr;
            } else if (c != '\n') {
                if (!is_tchar(c)) return bad("bad method");
                s.state = s_method;
                s.count = s.line_bytes = 1;
            }
            break;
        case s_lead_cr:
            if (c != '\n') return bad("bare CR");
            s.state = s_lead;
            break;
        case s_method:
            if (c == ' ') {
                s.state = s_target;
                s.count = 0;
            } else if (!is_tchar(c)) {
                return lim.broken(s.line_bytes, "bad method");
            }
            ++s.line_bytes;
            break;
        case s_target:
            if (auto v = scan_target(buf, lim, s); v || s.state == s_target) return v;
            break;
        case s_version: {
            ++s.line_bytes;
            static constexpr char pattern[] = "HTTP/0.0\r";
            const char want = pattern[s.count];
            if (want == '0' ? !in_class(c, cc::digit) : c != want) return bad("bad version");
            if (++s.count == 9) s.state = s_version_lf;
            break;
        }
        case s_version_lf:
            if (c != '\n') return bad("bare CR");
            if (!supported_version(buf[s.pos - 4], buf[s.pos - 2])) return unsupported_version;
            s.state = s_line;
            break;
        }
    }
    return {};
}

// RFC 9112 5: from s.pos up to the end of the head or of buf, or to the byte that breaks a
// field line, saying why.
verdict scan_field_lines(std::string_view buf, const nodus::http_config& cfg, partial_scan& s) noexcept {
    for (; s.pos < buf.size() && s.state != s_done; ++s.pos) {
        const char c = buf[s.pos];
        switch (s.state) {
        case s_line:
            if (c == '\r') {
                s.state = s_end_cr;
            } else if (!is_tchar(c)) {
                return bad_field_start(c);
            } else {
                if (++s.fields > cfg.max_headers) return too_many_fields;
                s.state = s_name;
            }
            break;
        case s_name:
            if (c == ':') s.state = s_value;
            else if (!is_tchar(c)) return bad("bad field name");
            break;
        case s_value:
            s.pos = static_cast<std::size_t>(
                skip_field_value(buf.data(), buf.data() + s.pos, buf.data() + buf.size()) - buf.data());
            if (s.pos == buf.size()) return {};
            if (buf[s.pos] != '\r') return bad_value_end(buf[s.pos]);
            s.state = s_line_cr;
            break;
        case s_line_cr:
        case s_end_cr:
            if (c != '\n') return bad("bare CR");
            s.state = s.state == s_line_cr ? s_line : s_done;
            break;
        }
    }
    return {};
}

} // namespace

std::size_t skip_leading_empty_lines(std::string_view buf) noexcept {
    std::size_t i = 0;
    for (;;) {
        if (i < buf.size() && buf[i] == '\n') i += 1;
        else if (i + 1 < buf.size() && buf[i] == '\r' && buf[i + 1] == '\n') i += 2;
        else return i;
    }
}

std::size_t find_head_end(std::string_view buf, std::size_t from) noexcept {
    const char* const begin = buf.data();
    const char* const end = begin + buf.size();
    const char* p = begin + (from > 3 ? (from - 3 < buf.size() ? from - 3 : buf.size()) : 0);
    if (const char* q = nodus::detail::find_blank_line(p, end))
        return static_cast<std::size_t>(q + 4 - begin);
    while (end - p >= 4) {
        p = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p - 3)));
        if (!p) return 0;
        if (p[1] == '\n' && p[2] == '\r' && p[3] == '\n') return static_cast<std::size_t>(p + 4 - begin);
        ++p;
    }
    return 0;
}

verdict check_partial_head(std::string_view buf, const nodus::http_config& cfg, partial_scan& scan) noexcept {
    const line_limits lim{cfg};
    partial_scan s = scan;
    verdict v = scan_request_line(buf, lim, s);
    if (!v && s.state >= s_line) v = scan_field_lines(buf, cfg, s);
    scan = s;
    if (v || s.state == s_done) return v;
    if ((s.state == s_method || s.state == s_target) && s.line_bytes > lim.max_line) return line_too_long;
    if (buf.size() > cfg.max_header_bytes) return head_too_large;
    return {};
}

verdict check_partial_head(std::string_view buf, const nodus::http_config& cfg) noexcept {
    partial_scan scan;
    return check_partial_head(buf, cfg, scan);
}

namespace {
// `head_end` null: `head` is a whole head. Else `head` is a buffer that starts with one, whose
// length is stored there.
verdict check_head(std::string_view head, const nodus::http_config& cfg, head_info& out, head_parts* parts,
                   std::size_t* head_end = nullptr) {
    out = head_info{};
    head_reader r{head};
    request_line line;
    // The request line first: one longer than the limit is 414 even when broken later on, as
    // check_partial_head may have said already from the part it saw.
    if (auto v = check_request_line(r, line_limits{cfg}, line)) return v;
    if (!head_end && head.size() > cfg.max_header_bytes) return head_too_large;
    head_fields fields{head.data(), line.version, out, {}, {}, {}, {}};
    if (parts) {
        parts->method = line.method;
        parts->target = line.target;
        parts->fields.clear();
    }
    if (auto v = check_field_lines(r, cfg, fields, parts ? &parts->fields : nullptr, !head_end)) return v;
    if (head_end) {
        *head_end = r.offset();
        if (*head_end > cfg.max_header_bytes) return head_too_large;
    }
    if (auto v = fields.host.finish(line.version)) return v;
    if (auto v = fields.framing.finish(line.version, out)) return v;
    out.version = line.version;
    fields.connection.finish(line.version, out);
    return fields.expect.finish();
}
} // namespace

verdict check_request_head(std::string_view head, const nodus::http_config& cfg, head_info& out) noexcept {
    return check_head(head, cfg, out, nullptr); // without parts nothing allocates
}

verdict check_request_head(std::string_view head, const nodus::http_config& cfg, head_info& out,
                           head_parts& parts) {
    return check_head(head, cfg, out, &parts);
}

std::size_t check_request_head_prefix(std::string_view buf, const nodus::http_config& cfg, head_info& out,
                                      head_parts& parts) {
    std::size_t end = 0;
    return check_head(buf, cfg, out, &parts, &end) ? 0 : end;
}

bool valid_field_name(std::string_view name) noexcept { return nodus::detail::is_token_fast(name); }

bool valid_field_value(std::string_view value) noexcept { return nodus::detail::is_field_value(value); }

} // namespace nodus::http::detail
