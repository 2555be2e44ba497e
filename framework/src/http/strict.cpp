#include "http/detail/strict.hpp"

#include <array>
#include <cstring>
#include <limits>

namespace nodus::http::detail {
namespace {

enum : std::uint8_t {
    c_tchar = 1,    // RFC 9110 5.6.2
    c_target = 2,   // request-target bytes: VCHAR except '#'
    c_value = 4,    // field-value bytes: HTAB, SP, VCHAR, obs-text
    c_host = 8,     // reg-name bytes: unreserved, sub-delims except ',' ('%' apart)
    c_digit = 16,
    c_hex = 32,
    c_scheme = 64,  // after the first ALPHA of a scheme
    c_qdtext = 128, // quoted-string text, RFC 9110 5.6.4
};

constexpr std::array<std::uint8_t, 256> make_classes() {
    std::array<std::uint8_t, 256> t{};
    auto add = [&t](const char* s, std::uint8_t k) {
        for (; *s; ++s) t[static_cast<unsigned char>(*s)] |= k;
    };
    for (std::size_t c = 'a'; c <= 'z'; ++c) t[c] |= c_tchar | c_host | c_scheme;
    for (std::size_t c = 'A'; c <= 'Z'; ++c) t[c] |= c_tchar | c_host | c_scheme;
    for (std::size_t c = '0'; c <= '9'; ++c) t[c] |= c_tchar | c_host | c_scheme | c_digit | c_hex;
    for (std::size_t c = 'a'; c <= 'f'; ++c) t[c] |= c_hex;
    for (std::size_t c = 'A'; c <= 'F'; ++c) t[c] |= c_hex;
    add("!#$%&'*+-.^_`|~", c_tchar);
    add("-._~!$&'()*+;=", c_host);
    add("+-.", c_scheme);
    for (std::size_t c = 0x21; c <= 0x7e; ++c) t[c] |= c_target | c_value;
    t['#'] &= static_cast<std::uint8_t>(~c_target);
    t['\t'] |= c_value | c_qdtext;
    t[' '] |= c_value | c_qdtext;
    for (std::size_t c = 0x80; c <= 0xff; ++c) t[c] |= c_value | c_qdtext;
    for (std::size_t c = 0x21; c <= 0x7e; ++c)
        if (c != '"' && c != '\\') t[c] |= c_qdtext;
    return t;
}

constexpr auto classes = make_classes();

constexpr bool is(char c, std::uint8_t k) noexcept {
    return (classes[static_cast<unsigned char>(c)] & k) != 0;
}

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

// `lower_lit` is lower case already.
constexpr bool iequals(std::string_view s, std::string_view lower_lit) noexcept {
    if (s.size() != lower_lit.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (lower(s[i]) != lower_lit[i]) return false;
    return true;
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

constexpr bool all_of(std::string_view s, std::uint8_t k) noexcept {
    for (char c : s)
        if (!is(c, k)) return false;
    return true;
}

constexpr verdict bad(const char* why) noexcept { return {400, why}; }

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

bool valid_ipv4(std::string_view s) noexcept {
    int octets = 0;
    std::size_t i = 0;
    for (;;) {
        std::size_t start = i;
        unsigned v = 0;
        while (i < s.size() && is(s[i], c_digit) && i - start < 3) v = v * 10 + unsigned(s[i++] - '0');
        std::size_t len = i - start;
        if (len == 0 || v > 255 || (len > 1 && s[start] == '0')) return false;
        if (++octets == 4) return i == s.size();
        if (i == s.size() || s[i] != '.') return false;
        ++i;
    }
}

bool valid_ipv6(std::string_view s) noexcept {
    const std::size_t n = s.size();
    std::size_t i = 0;
    int groups = 0;
    bool compressed = false;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        compressed = true;
        i = 2;
    } else if (n > 0 && s[0] == ':') {
        return false;
    }
    while (i < n) {
        std::size_t start = i;
        while (i < n && is(s[i], c_hex)) ++i;
        if (i < n && s[i] == '.') {
            if (!valid_ipv4(s.substr(start))) return false;
            groups += 2;
            break;
        }
        if (i == start || i - start > 4) return false;
        ++groups;
        if (i == n) break;
        if (s[i] != ':') return false;
        if (++i == n) return false;
        if (s[i] == ':') {
            if (compressed) return false;
            compressed = true;
            ++i;
        }
    }
    return compressed ? groups <= 7 : groups == 8;
}

bool valid_ip_literal(std::string_view s) noexcept {
    if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) {
        // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
        std::size_t i = 1;
        while (i < s.size() && is(s[i], c_hex)) ++i;
        if (i == 1 || i == s.size() || s[i] != '.' || ++i == s.size()) return false;
        for (; i < s.size(); ++i)
            if (!is(s[i], c_host) && s[i] != ':') return false;
        return true;
    }
    return valid_ipv6(s);
}

// RFC 9110 6.5.1: fields that frame, route, modify or authenticate a request, or describe
// how to process the content, must be known before the content and so cannot be trailers.
constexpr std::string_view forbidden_trailers[] = {
    "authorization", "cache-control", "connection", "content-encoding",
    "content-length", "content-range", "content-type", "cookie",
    "expect", "host", "if-match", "if-modified-since",
    "if-none-match", "if-range", "if-unmodified-since", "keep-alive",
    "max-forwards", "pragma", "proxy-authorization", "proxy-connection",
    "range", "set-cookie", "te", "trailer",
    "transfer-encoding", "upgrade",
};

bool valid_target_form(std::string_view method, std::string_view target) noexcept {
    if (target == "*") return method == "OPTIONS";
    if (method == "CONNECT") return valid_host(target, true);
    if (target[0] == '/') return true;
    // absolute-form: scheme "://" authority [ path-abempty ] [ "?" query ]
    if (!((target[0] | 0x20) >= 'a' && (target[0] | 0x20) <= 'z')) return false;
    std::size_t i = 1;
    while (i < target.size() && is(target[i], c_scheme)) ++i;
    if (target.substr(i, 3) != "://") return false;
    auto rest = target.substr(i + 3);
    auto authority = rest.substr(0, rest.find_first_of("/?"));
    return valid_host(authority, false);
}

enum scan_state : std::uint8_t {
    s_lead, s_lead_cr, s_method, s_target, s_version, s_version_lf, s_line_cr,
    s_line, s_name, s_value, s_end_cr, s_done,
};

} // namespace

std::size_t skip_leading_empty_lines(std::string_view buf) noexcept {
    std::size_t i = 0;
    for (;;) {
        if (i < buf.size() && buf[i] == '\n')
            i += 1;
        else if (i + 1 < buf.size() && buf[i] == '\r' && buf[i + 1] == '\n')
            i += 2;
        else
            return i;
    }
}

std::size_t find_head_end(std::string_view buf, std::size_t from) noexcept {
    const char* const begin = buf.data();
    const char* const end = begin + buf.size();
    const char* p = begin + (from > 3 ? (from - 3 < buf.size() ? from - 3 : buf.size()) : 0);
    while (end - p >= 4) {
        p = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p - 3)));
        if (!p) return 0;
        if (p[1] == '\n' && p[2] == '\r' && p[3] == '\n') return static_cast<std::size_t>(p + 4 - begin);
        ++p;
    }
    return 0;
}

verdict check_partial_head(std::string_view buf, const nodus::http_config& cfg,
                           partial_scan& scan) noexcept {
    const std::size_t n = buf.size();
    const std::size_t max_line = cfg.max_url_bytes + 32;
    std::size_t i = scan.pos;
    auto st = static_cast<scan_state>(scan.state);
    std::size_t count = scan.count;
    std::size_t line = scan.line_bytes;
    std::size_t fields = scan.fields;
    verdict v{};

    for (; i < n && st != s_done; ++i) {
        const char c = buf[i];
        switch (st) {
        case s_lead:
            if (c == '\r') {
                st = s_lead_cr;
            } else if (c != '\n') {
                if (!is(c, c_tchar)) { v = bad("bad method"); goto out; }
                st = s_method;
                count = line = 1;
            }
            break;
        case s_lead_cr:
            if (c != '\n') { v = bad("bare CR"); goto out; }
            st = s_lead;
            break;
        case s_method:
            if (c == ' ') {
                st = s_target;
                count = 0;
            } else if (!is(c, c_tchar)) {
                v = line > max_line ? verdict{414, "request line too long"} : bad("bad method");
                goto out;
            }
            ++line;
            break;
        case s_target: {
            std::size_t start = i;
            while (i < n && is(buf[i], c_target)) ++i;
            count += i - start;
            line += i - start;
            if (count > cfg.max_url_bytes) { v = {414, "target too long"}; goto out; }
            if (i == n) goto out;
            if (buf[i] != ' ' || count == 0) {
                v = line > max_line ? verdict{414, "request line too long"} : bad("bad target");
                goto out;
            }
            // The version's 8 bytes are still to come: the line is too long already.
            if (++line + 8 > max_line) { v = {414, "request line too long"}; goto out; }
            st = s_version;
            count = 0;
            break;
        }
        case s_version: {
            ++line;
            static constexpr char pattern[] = "HTTP/0.0\r";
            const char want = pattern[count];
            const bool ok = want == '0' ? is(c, c_digit) : c == want;
            if (!ok) { v = bad("bad version"); goto out; }
            if (++count == 9) st = s_version_lf;
            break;
        }
        case s_version_lf: {
            if (c != '\n') { v = bad("bare CR"); goto out; }
            const char major = buf[i - 4], minor = buf[i - 2];
            if (major != '1' || (minor != '0' && minor != '1')) { v = {505, "unsupported version"}; goto out; }
            st = s_line;
            break;
        }
        case s_line_cr:
            if (c != '\n') { v = bad("bare CR"); goto out; }
            st = s_line;
            break;
        case s_line:
            if (c == '\r') {
                st = s_end_cr;
            } else if (is(c, c_tchar)) {
                if (++fields > cfg.max_headers) { v = {431, "too many fields"}; goto out; }
                st = s_name;
            } else {
                v = bad(is_ows(c) ? "obs-fold" : c == ':' ? "empty field name"
                        : c == '\n' ? "bare LF" : "bad field name");
                goto out;
            }
            break;
        case s_name:
            if (c == ':') st = s_value;
            else if (!is(c, c_tchar)) { v = bad("bad field name"); goto out; }
            break;
        case s_value: {
            while (i < n && is(buf[i], c_value)) ++i;
            if (i == n) goto out;
            if (buf[i] != '\r') { v = bad(buf[i] == '\n' ? "bare LF" : "bad field value"); goto out; }
            st = s_line_cr;
            break;
        }
        case s_end_cr:
            if (c != '\n') { v = bad("bare CR"); goto out; }
            st = s_done;
            break;
        case s_done:
            break;
        }
    }
out:
    scan.pos = i;
    scan.state = st;
    scan.count = count;
    scan.line_bytes = line;
    scan.fields = fields;
    if (v.status != 0 || st == s_done) return v;
    if ((st == s_method || st == s_target) && line > max_line)
        return {414, "request line too long"};
    if (n > cfg.max_header_bytes) return {431, "head too large"};
    return {};
}

verdict check_partial_head(std::string_view buf, const nodus::http_config& cfg) noexcept {
    partial_scan scan;
    return check_partial_head(buf, cfg, scan);
}

verdict check_request_head(std::string_view head, const nodus::http_config& cfg,
                           head_info& out) noexcept {
    out = head_info{};
    const char* p = head.data();
    const char* const end = p + head.size();

    // A request line longer than max_line is 414 even when broken later on, as
    // check_partial_head may have said already from the part it saw.
    const std::size_t max_line = cfg.max_url_bytes + 32;
    auto seen = [&] { return static_cast<std::size_t>(p - head.data()); };

    const char* const method_begin = p;
    while (p < end && is(*p, c_tchar)) ++p;
    const std::string_view method(method_begin, static_cast<std::size_t>(p - method_begin));
    if (method.empty() || p == end || *p != ' ')
        return seen() > max_line ? verdict{414, "request line too long"} : bad("bad method");

    const char* const target_begin = ++p;
    while (p < end && is(*p, c_target)) ++p;
    const std::string_view target(target_begin, static_cast<std::size_t>(p - target_begin));
    if (target.size() > cfg.max_url_bytes) return {414, "target too long"};
    if (target.empty() || p == end || *p != ' ')
        return seen() > max_line ? verdict{414, "request line too long"} : bad("bad target");
    ++p;
    if (seen() + 8 > max_line) return {414, "request line too long"};

    if (end - p < 10 || std::memcmp(p, "HTTP/", 5) != 0 || !is(p[5], c_digit) || p[6] != '.' ||
        !is(p[7], c_digit))
        return bad("bad version");
    if (p[8] != '\r' || p[9] != '\n') return bad("bad request line end");
    if (p[5] != '1' || (p[7] != '0' && p[7] != '1')) return {505, "unsupported version"};
    const int version = p[7] == '1' ? 11 : 10;
    if (!valid_target_form(method, target)) return bad("bad target form");
    p += 10;

    if (head.size() > cfg.max_header_bytes) return {431, "head too large"};

    std::size_t fields = 0;
    int hosts = 0;
    bool te_seen = false, te_last_chunked = false, te_chunked = false, te_other = false;
    bool conn_close = false, conn_keep_alive = false, conn_upgrade = false;
    bool has_upgrade = false, expect_other = false;
    verdict te_error{};

    for (;;) {
        if (p == end) return bad("head not terminated");
        if (*p == '\r') {
            if (end - p < 2 || p[1] != '\n') return bad("bare CR");
            p += 2;
            break;
        }
        const char* const name_begin = p;
        while (p < end && is(*p, c_tchar)) ++p;
        if (p == name_begin) {
            if (is_ows(*p)) return bad("obs-fold");
            if (*p == ':') return bad("empty field name");
            if (*p == '\n') return bad("bare LF");
            return bad("bad field name");
        }
        if (p == end || *p != ':') return bad("bad field name");
        if (++fields > cfg.max_headers) return {431, "too many fields"};
        const std::string_view name(name_begin, static_cast<std::size_t>(p - name_begin));
        ++p;
        while (p < end && is_ows(*p)) ++p;
        const char* const value_begin = p;
        while (p < end && is(*p, c_value)) ++p;
        if (p == end || *p != '\r') return bad(p != end && *p == '\n' ? "bare LF" : "bad field value");
        if (end - p < 2 || p[1] != '\n') return bad("bare CR");
        const char* value_end = p;
        while (value_end > value_begin && is_ows(value_end[-1])) --value_end;
        const std::string_view value(value_begin, static_cast<std::size_t>(value_end - value_begin));
        p += 2;

        switch (name.size()) {
        case 4:
            if (iequals(name, "host")) {
                if (++hosts > 1) return bad("duplicate Host");
                if (!value.empty() && !valid_host(value)) return bad("bad Host");
            }
            break;
        case 6:
            if (version == 11 && iequals(name, "expect")) {
                for_each_element(value, [&](std::string_view e) {
                    if (iequals(e, "100-continue")) out.expect_continue = true;
                    else expect_other = true;
                });
            }
            break;
        case 7:
            if (iequals(name, "upgrade")) has_upgrade = true;
            break;
        case 10:
        case 16:
            // Proxy-Connection as Connection, as llhttp and Beast read it.
            if (iequals(name, "connection") || iequals(name, "proxy-connection")) {
                bool tokens = true;
                for_each_element(value, [&](std::string_view e) {
                    if (!all_of(e, c_tchar)) tokens = false;
                    else if (iequals(e, "close")) conn_close = true;
                    else if (iequals(e, "keep-alive")) conn_keep_alive = true;
                    else if (iequals(e, "upgrade")) conn_upgrade = true;
                });
                if (!tokens) return bad("bad Connection");
            }
            break;
        case 14:
            if (iequals(name, "content-length")) {
                // Duplicates and lists are refused even when all values agree (RFC 9112 6.3
                // allows them): one rule is simpler to get right than a merge, as in llhttp.
                if (out.has_content_length) return bad("duplicate Content-Length");
                if (value.empty()) return bad("bad Content-Length");
                constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
                std::uint64_t n = 0;
                for (char c : value) {
                    if (!is(c, c_digit)) return bad("bad Content-Length");
                    const auto d = static_cast<std::uint64_t>(c - '0');
                    if (n > (max - d) / 10) return bad("Content-Length overflow");
                    n = n * 10 + d;
                }
                out.content_length = n;
                out.has_content_length = true;
            }
            break;
        case 17:
            if (iequals(name, "transfer-encoding")) {
                // Beast refuses any Transfer-Encoding line after one naming chunked, even an
                // empty one: refusing it here keeps the two parsers in agreement.
                if (te_chunked) return bad("Transfer-Encoding after chunked");
                te_seen = true;
                for_each_element(value, [&](std::string_view e) {
                    if (te_error.status != 0) return;
                    if (!all_of(e, c_tchar)) {
                        te_error = bad("bad Transfer-Encoding");
                    } else if (iequals(e, "chunked")) {
                        if (te_chunked) te_error = bad("chunked twice");
                        te_chunked = te_last_chunked = true;
                    } else {
                        te_other = true;
                        te_last_chunked = false;
                    }
                });
                if (te_error.status != 0) return te_error;
            }
            break;
        default:
            break;
        }
    }
    if (p != end) return bad("bytes after head");

    if (version == 11 && hosts == 0) return bad("missing Host");
    if (te_seen) {
        if (version == 10) return bad("Transfer-Encoding in HTTP/1.0");
        if (out.has_content_length) return bad("Transfer-Encoding with Content-Length");
        // Without chunked last, a request body has no determinable length (RFC 9112 6.3).
        if (!te_last_chunked) return bad("final coding not chunked");
        if (te_other) return {501, "unsupported transfer coding"};
        out.chunked = true;
    }
    out.version = version;
    out.keep_alive = version == 11 ? !conn_close : conn_keep_alive && !conn_close;
    out.upgrade = has_upgrade && conn_upgrade;
    if (expect_other) return {417, "unsupported expectation"};
    return {};
}

bool valid_host(std::string_view host, bool port_required) noexcept {
    std::size_t i = 0;
    const std::size_t n = host.size();
    if (n == 0) return false;
    if (host[0] == '[') {
        auto close = host.find(']');
        if (close == std::string_view::npos || !valid_ip_literal(host.substr(1, close - 1)))
            return false;
        i = close + 1;
    } else {
        while (i < n) {
            if (is(host[i], c_host)) {
                ++i;
            } else if (host[i] == '%' && n - i >= 3 && is(host[i + 1], c_hex) && is(host[i + 2], c_hex)) {
                i += 3;
            } else {
                break;
            }
        }
        if (i == 0) return false;
    }
    if (i == n) return !port_required;
    if (host[i] != ':') return false;
    const auto port = host.substr(i + 1);
    if (port.size() > 5 || (port.empty() && port_required) || !all_of(port, c_digit)) return false;
    unsigned v = 0;
    for (char c : port) v = v * 10 + unsigned(c - '0');
    return v <= 65535;
}

bool valid_chunk_extensions(std::string_view ext) noexcept {
    const std::size_t n = ext.size();
    std::size_t i = 0;
    auto skip_bws = [&] { while (i < n && is_ows(ext[i])) ++i; };
    auto token = [&] {
        const std::size_t start = i;
        while (i < n && is(ext[i], c_tchar)) ++i;
        return i > start;
    };
    for (;;) {
        const std::size_t before = i;
        skip_bws();
        if (i == n) return i == before;
        if (ext[i] != ';') return false;
        ++i;
        skip_bws();
        if (!token()) return false;
        const std::size_t after_name = i;
        skip_bws();
        if (i < n && ext[i] == '=') {
            ++i;
            skip_bws();
            if (i < n && ext[i] == '"') {
                for (++i;; ++i) {
                    if (i == n) return false;
                    if (ext[i] == '"') break;
                    if (ext[i] == '\\') {
                        if (++i == n || !is(ext[i], c_value)) return false;
                    } else if (!is(ext[i], c_qdtext)) {
                        return false;
                    }
                }
                ++i;
            } else if (!token()) {
                return false;
            }
        } else {
            i = after_name;
        }
    }
}

verdict check_trailer_field(std::string_view name, std::string_view value) noexcept {
    if (name.empty() || !all_of(name, c_tchar)) return bad("bad trailer name");
    if (!all_of(value, c_value)) return bad("bad trailer value");
    for (auto f : forbidden_trailers)
        if (iequals(name, f)) return bad("field not allowed in trailers");
    return {};
}

bool valid_field_name(std::string_view name) noexcept {
    if (name.empty()) return false;
    for (char c : name)
        if (!is(c, c_tchar)) return false;
    return true;
}

bool valid_field_value(std::string_view value) noexcept {
    for (char c : value)
        if (!is(c, c_value)) return false;
    return true;
}

} // namespace nodus::http::detail
