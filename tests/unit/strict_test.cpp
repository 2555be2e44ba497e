#include "http/detail/strict.hpp"
#include "text/detail/uri.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace std::string_literals;
using nodus::http_config;
using namespace nodus::http::detail;
using nodus::detail::valid_host;

const http_config default_cfg{};

http_config small_cfg() {
    http_config c;
    c.max_header_bytes = 256;
    c.max_headers = 5;
    c.max_url_bytes = 32;
    return c;
}

std::string head11(const std::string& fields) { return "GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n"; }
std::string post11(const std::string& fields) { return "POST / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n"; }

struct result {
    verdict v;
    head_info info;
};

result check(const std::string& head, const http_config& cfg = default_cfg) {
    result r;
    r.v = check_request_head(head, cfg, r.info);
    return r;
}

struct reject_case {
    const char* name;
    std::string head;
    int status;
    bool small = false; // checked with small_cfg()
};

// Every head here is refused; strict_beast.cpp (scratch, not committed) replays this table.
const std::vector<reject_case>& reject_cases() {
    static const std::vector<reject_case> cases = {
        // request line
        {"double space after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"double space after target", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"leading space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"trailing space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
        {"tab separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"method with @", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"method with (", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"method with obs-text", "G\xc9T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"no method", "/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"no target", "GET HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"fragment in target", "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"DEL in target", "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"CTL in target", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"NUL in target", "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"s, 400},
        {"tab in target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"UTF-8 in target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"target too long", "GET /" + std::string(32, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", 414, true},
        {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
        {"HTTP/0.9", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505},
        {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505},
        {"HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505},
        {"HTTP/1", "GET / HTTP/1\r\nHost: a\r\n\r\n", 400},
        {"lower-case http", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
        {"HTTP/1.1x", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400},
        {"HTTP/1.10", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400},
        {"HTTP/11.1", "GET / HTTP/11.1\r\nHost: a\r\n\r\n", 400},
        {"HTTP/a.b", "GET / HTTP/a.b\r\nHost: a\r\n\r\n", 400},
        {"HTTP /1.1", "GET / HTTP /1.1\r\nHost: a\r\n\r\n", 400},
        {"missing version", "GET /\r\nHost: a\r\n\r\n", 400},
        {"* with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"*x with OPTIONS", "OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"authority-form with GET", "GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"CONNECT origin-form", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"CONNECT without port", "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"CONNECT empty port", "CONNECT example.com: HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"CONNECT port > 65535", "CONNECT example.com:65536 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"CONNECT userinfo", "CONNECT u@example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"CONNECT absolute-form", "CONNECT http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"absolute-form without //", "GET http:/a HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"absolute-form empty authority", "GET http:///a HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"absolute-form bad scheme", "GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"absolute-form userinfo", "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"request line ends in LF", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
        {"request line ends in CR CR LF", "GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400},
        {"request line ends in CR", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400},
        // line endings and field syntax
        {"field line ends in LF", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400},
        {"head ends in LF LF", "GET / HTTP/1.1\r\nHost: a\n\n\r\n\r\n", 400},
        {"bare CR in value", head11("X: a\rb\r\n"), 400},
        {"CR CR LF after value", head11("X: a\r\r\n"), 400},
        {"bare CR as a line", head11("\rX: a\r\n"), 400},
        {"obs-fold with space", head11("X: a\r\n b\r\n"), 400},
        {"obs-fold with tab", head11("X: a\r\n\tb\r\n"), 400},
        {"space before colon", head11("X-Foo : a\r\n"), 400},
        {"tab before colon", head11("X-Foo\t: a\r\n"), 400},
        {"empty field name", head11(": a\r\n"), 400},
        {"no colon", head11("X-Foo\r\n"), 400},
        {"@ in name", head11("X@Foo: a\r\n"), 400},
        {"space in name", head11("X Foo: a\r\n"), 400},
        {"obs-text in name", head11("X\x80: a\r\n"), 400},
        {"NUL in value", head11("X: a\0b\r\n"s), 400},
        {"SOH in value",
         head11("X: a\x01"
                "b\r\n"),
         400},
        {"VT in value",
         head11("X: a\x0b"
                "b\r\n"),
         400},
        {"ESC in value",
         head11("X: a\x1b"
                "b\r\n"),
         400},
        {"DEL in value",
         head11("X: a\x7f"
                "b\r\n"),
         400},
        {"too many fields", head11("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n"), 431, true},
        {"head too large", head11("X: " + std::string(250, 'x') + "\r\n"), 431, true},
        // Host
        {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX: a\r\n\r\n", 400},
        {"two Host", head11("Host: a\r\n"), 400},
        {"two Host, second empty", head11("Host:\r\n"), 400},
        {"Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
        {"Host with @", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
        {"Host with /", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
        {"Host with ,", "GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", 400},
        {"Host port too big", "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", 400},
        {"Host port 6 digits", "GET / HTTP/1.1\r\nHost: a:000080\r\n\r\n", 400},
        {"Host port not digits", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400},
        {"Host two ports", "GET / HTTP/1.1\r\nHost: a:80:80\r\n\r\n", 400},
        {"Host port only", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400},
        {"Host unclosed [", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400},
        {"Host bad IPv6", "GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", 400},
        {"Host short IPv6", "GET / HTTP/1.1\r\nHost: [1:2]\r\n\r\n", 400},
        {"Host IPv6 zone", "GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n", 400},
        {"Host junk after ]", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400},
        {"Host bad pct-encoding", "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400},
        {"Host quoted", "GET / HTTP/1.1\r\nHost: \"a\"\r\n\r\n", 400},
        {"Host with ?", "GET / HTTP/1.1\r\nHost: a?b\r\n\r\n", 400},
        {"Host with obs-text", "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n", 400},
        // Content-Length
        {"Content-Length +5", post11("Content-Length: +5\r\n"), 400},
        {"Content-Length -5", post11("Content-Length: -5\r\n"), 400},
        {"Content-Length 5 5", post11("Content-Length: 5 5\r\n"), 400},
        {"Content-Length hex", post11("Content-Length: 0x5\r\n"), 400},
        {"Content-Length 5a", post11("Content-Length: 5a\r\n"), 400},
        {"Content-Length 1e3", post11("Content-Length: 1e3\r\n"), 400},
        {"Content-Length empty", post11("Content-Length:\r\n"), 400},
        {"Content-Length 2^63", post11("Content-Length: 9223372036854775808\r\n"), 400},
        {"Content-Length 2^64", post11("Content-Length: 18446744073709551616\r\n"), 400},
        {"Content-Length list of equal", post11("Content-Length: 5, 5\r\n"), 400},
        {"Content-Length trailing comma", post11("Content-Length: 5,\r\n"), 400},
        {"Content-Length twice, equal", post11("Content-Length: 5\r\nContent-Length: 5\r\n"), 400},
        {"Content-Length twice, different", post11("Content-Length: 5\r\nContent-Length: 6\r\n"), 400},
        {"Content-Length quoted", post11("Content-Length: \"5\"\r\n"), 400},
        // Transfer-Encoding framing
        {"Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        {"Transfer-Encoding with Content-Length",
         post11("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400},
        {"Content-Length with Transfer-Encoding",
         post11("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400},
        {"Transfer-Encoding chunked, gzip", post11("Transfer-Encoding: chunked, gzip\r\n"), 400},
        {"Transfer-Encoding gzip", post11("Transfer-Encoding: gzip\r\n"), 400},
        {"Transfer-Encoding identity", post11("Transfer-Encoding: identity\r\n"), 400},
        {"Transfer-Encoding chunked twice", post11("Transfer-Encoding: chunked, chunked\r\n"), 400},
        {"Transfer-Encoding quoted", post11("Transfer-Encoding: \"chunked\"\r\n"), 400},
        {"Transfer-Encoding parameter", post11("Transfer-Encoding: chunked;foo=bar\r\n"), 400},
        {"Transfer-Encoding obs-text", post11("Transfer-Encoding: chunked\xa0\r\n"), 400},
        {"Transfer-Encoding empty", post11("Transfer-Encoding:\r\n"), 400},
        {"Transfer-Encoding lines chunked, gzip",
         post11("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"), 400},
        {"Transfer-Encoding lines chunked twice",
         post11("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400},
        {"Transfer-Encoding gzip, chunked", post11("Transfer-Encoding: gzip, chunked\r\n"), 501},
        {"Transfer-Encoding lines gzip then chunked",
         post11("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"), 501},
        // Expect
        // Connection
        {"Connection not a token list", head11("Connection: keep-alive close\r\n"), 400},
        {"Connection quoted", head11("Connection: \"close\"\r\n"), 400},
        {"Connection obs-text", head11("Connection: close\xa0\r\n"), 400},
        {"Proxy-Connection not a token list", head11("Proxy-Connection: a b\r\n"), 400},
        {"Transfer-Encoding empty line after chunked",
         post11("Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n"), 400},
        {"Expect unknown", head11("Expect: foo\r\n"), 417},
        {"Expect 100-continue and more", head11("Expect: 100-continue, foo\r\n"), 417},
        {"Expect 100-continue with parameter", head11("Expect: 100-continue;a=b\r\n"), 417},
    };
    return cases;
}

TEST(strict_reject, each_case_has_its_status) {
    for (const auto& c : reject_cases()) {
        SCOPED_TRACE(c.name);
        const auto cfg = c.small ? small_cfg() : default_cfg;
        head_info info;
        const auto v = check_request_head(c.head, cfg, info);
        EXPECT_EQ(v.status, c.status);
        EXPECT_NE(v.reason, nullptr);
        EXPECT_TRUE(static_cast<bool>(v));
    }
}

// Whatever check_partial_head says early, the full check agrees with.
TEST(strict_reject, partial_check_never_contradicts_full_check) {
    for (const auto& c : reject_cases()) {
        SCOPED_TRACE(c.name);
        const auto cfg = c.small ? small_cfg() : default_cfg;
        const auto end = find_head_end(c.head);
        const auto complete = end ? end : c.head.size();
        partial_scan scan;
        for (std::size_t n = 0; n < complete; ++n) {
            const auto v = check_partial_head(std::string_view(c.head).substr(0, n), cfg, scan);
            if (v.status != 0) {
                EXPECT_EQ(v.status, c.status) << "prefix " << n;
                break;
            }
        }
    }
}

TEST(strict_reject, every_control_byte_in_a_value) {
    for (int b = 0; b < 0x20; ++b) {
        if (b == '\t') continue;
        SCOPED_TRACE(b);
        auto h = head11("X: a"s + static_cast<char>(b) + "b\r\n");
        EXPECT_EQ(check(h).v.status, 400);
    }
    EXPECT_EQ(check(head11("X: a\x7f"
                           "b\r\n"))
                  .v.status,
              400);
}

TEST(strict_reject, every_non_tchar_in_method_and_name) {
    const std::string tchar_extra = "!#$%&'*+-.^_`|~";
    for (int b = 0; b < 256; ++b) {
        const char c = static_cast<char>(b);
        const bool alnum = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
        const bool tchar = alnum || tchar_extra.find(c) != std::string::npos;
        SCOPED_TRACE(b);
        const auto method = "G"s + c + "T / HTTP/1.1\r\nHost: a\r\n\r\n";
        const auto name = head11("X"s + c + "Y: v\r\n");
        EXPECT_EQ(check(method).v.status, tchar ? 0 : 400);
        if (c != ':') { // "X:Y: v" is the field X
            EXPECT_EQ(check(name).v.status, tchar ? 0 : 400);
        }
    }
}

TEST(strict_reject, every_byte_in_target) {
    for (int b = 0; b < 256; ++b) {
        SCOPED_TRACE(b);
        const auto h = "GET /a"s + static_cast<char>(b) + " HTTP/1.1\r\nHost: a\r\n\r\n";
        const bool ok = b >= 0x21 && b <= 0x7e && b != '#';
        EXPECT_EQ(check(h).v.status, ok ? 0 : 400);
    }
}

TEST(strict_limits, exactly_at_the_limits_passes) {
    const auto cfg = small_cfg();
    EXPECT_EQ(check("GET /" + std::string(31, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", cfg).v.status, 0);
    EXPECT_EQ(check("GET /" + std::string(32, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", cfg).v.status, 414);
    EXPECT_EQ(check(head11("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"), cfg).v.status, 0); // 5 with Host
    std::string h = head11("X: \r\n");
    const auto pad = cfg.max_header_bytes - h.size();
    h = head11("X: " + std::string(pad, 'x') + "\r\n");
    ASSERT_EQ(h.size(), cfg.max_header_bytes);
    EXPECT_EQ(check(h, cfg).v.status, 0);
    EXPECT_EQ(check(head11("X: " + std::string(pad + 1, 'x') + "\r\n"), cfg).v.status, 431);
}

TEST(strict_limits, long_heads_within_default_limits) {
    std::string fields;
    for (int i = 0; i < 70; ++i)
        fields += "X-Field-" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n";
    const auto h = "GET /" + std::string(8000, 'p') + " HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n";
    ASSERT_LT(h.size(), default_cfg.max_header_bytes);
    EXPECT_EQ(check(h).v.status, 0);
    EXPECT_EQ(check_partial_head(std::string_view(h).substr(0, h.size() - 1), default_cfg).status, 0);
}

TEST(strict_limits, long_method_counts_against_the_request_line) {
    const auto cfg = small_cfg();
    // max_url_bytes + 32 = 64: 55 + " / HTTP/1.1" is 66.
    EXPECT_EQ(check(std::string(55, 'M') + " / HTTP/1.1\r\nHost: a\r\n\r\n", cfg).v.status, 414);
    EXPECT_EQ(check(std::string(50, 'M') + " / HTTP/1.1\r\nHost: a\r\n\r\n", cfg).v.status, 0);
    EXPECT_EQ(check_partial_head(std::string(70, 'M'), cfg).status, 414);
}

TEST(strict_accept, valid_heads) {
    const std::vector<std::pair<const char*, std::string>> cases = {
        {"minimal", "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
        {"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n"},
        {"HTTP/1.0 with fields", "GET /x?y=1 HTTP/1.0\r\nAccept: */*\r\n\r\n"},
        {"absolute-form", "GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n"},
        {"absolute-form https port", "GET https://example.com:8443 HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"absolute-form query only", "GET http://example.com?x HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"absolute-form IPv6", "GET http://[::1]:80/ HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"},
        {"CONNECT host:443", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"},
        {"CONNECT [IPv6]:443", "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"unknown lower-case method", "purge /x HTTP/1.1\r\nHost: a\r\n\r\n"},
        {"target with all allowed punctuation",
         "GET /!$&'()*+,;=:@-._~%20?a=b/c|{}^`\"<>\\[] HTTP/1.1\r\nHost: a\r\n\r\n"},
        {"obs-text in value", head11("X: caf\xc3\xa9 \xff\x80\r\n")},
        {"spaces and tabs inside value", head11("X: a b\tc  d\r\n")},
        {"empty value", head11("X:\r\n")},
        {"only OWS value", head11("X: \t \r\n")},
        {"no OWS after colon", head11("X:v\r\n")},
        {"repeated other fields", head11("Accept: a\r\nAccept: b\r\nCookie: x\r\nCookie: y\r\n")},
        {"name of all tchar", head11("!#$%&'*+-.^_`|~0123456789abcxyzABCXYZ: v\r\n")},
        {"empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n"},
        {"Content-Length 0", post11("Content-Length: 0\r\n")},
        {"Content-Length max", post11("Content-Length: 9223372036854775807\r\n")},
        {"Content-Length with OWS", post11("Content-Length: \t12 \t\r\n")},
        {"HTTP/1.0 Content-Length", "POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n"},
        {"Expect 100-continue in HTTP/1.0 ignored", "POST / HTTP/1.0\r\nExpect: foo\r\n\r\n"},
    };
    for (const auto& [name, h] : cases) {
        SCOPED_TRACE(name);
        const auto r = check(h);
        EXPECT_EQ(r.v.status, 0) << (r.v.reason ? r.v.reason : "");
        EXPECT_FALSE(static_cast<bool>(r.v));
        EXPECT_EQ(find_head_end(h), h.size());
        partial_scan scan;
        for (std::size_t n = 0; n <= h.size(); ++n)
            ASSERT_EQ(check_partial_head(std::string_view(h).substr(0, n), default_cfg, scan).status, 0)
                << "prefix " << n;
    }
}

TEST(strict_accept, head_info_fields) {
    auto r = check("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(r.info.version, 11);
    EXPECT_TRUE(r.info.keep_alive);
    EXPECT_FALSE(r.info.has_content_length);
    EXPECT_FALSE(r.info.chunked);
    EXPECT_FALSE(r.info.expect_continue);
    EXPECT_FALSE(r.info.upgrade);

    r = check(post11("content-length: 1234\r\n"));
    EXPECT_TRUE(r.info.has_content_length);
    EXPECT_EQ(r.info.content_length, 1234u);

    r = check(post11("Content-Length: 9223372036854775807\r\n"));
    EXPECT_EQ(r.info.content_length, 9223372036854775807u);

    r = check("GET / HTTP/1.0\r\n\r\n");
    EXPECT_EQ(r.info.version, 10);
    EXPECT_FALSE(r.info.keep_alive);
}

struct te_case {
    std::string value;
    int status;
};

TEST(strict_transfer_encoding, spellings) {
    const std::vector<te_case> cases = {
        {"chunked", 0},
        {"Chunked", 0},
        {"CHUNKED", 0},
        {"cHuNkEd", 0},
        {" chunked ", 0},
        {"\tchunked\t", 0},
        {", chunked", 0},
        {"chunked,", 0},
        {"chunked, , ", 0},
        {",,chunked,,", 0},
        {" , \t, chunked", 0},
        {"gzip, chunked", 501},
        {"gzip,chunked", 501},
        {"deflate, chunked", 501},
        {"compress, chunked", 501},
        {"identity, chunked", 501},
        {"x-foo, chunked", 501},
        {"gzip, deflate, chunked", 501},
        {"GZIP , chunked", 501},
        {"chunked, gzip", 400},
        {"gzip", 400},
        {"deflate", 400},
        {"compress", 400},
        {"identity", 400},
        {"x-foo", 400},
        {"", 400},
        {",", 400},
        {" , , ", 400},
        {"chunked, chunked", 400},
        {"chunked,chunked", 400},
        {"chunked, gzip, chunked", 400},
        {"\"chunked\"", 400},
        {"'chunked'", 400}, // a token ("'" is a tchar), but not chunked, and final
        {"chunked;foo=bar", 400},
        {"chunked; q=1", 400},
        {"chunked ;foo", 400},
        {"chunked\xa0", 400},
        {"\xa0"
         "chunked",
         400},
        {"chunk", 400},
        {"chunkedx", 400},
        {"chunked x", 400},
        {"gzip chunked", 400},
        {"gzip;q=1, chunked", 400},
        {"chunked\x0b", 400},
        {"chun\0ked"s, 400},
        {"ch\xc3\xbcnked", 400},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE("Transfer-Encoding: [" + c.value + "]");
        const auto r = check(post11("Transfer-Encoding:" + c.value + "\r\n"));
        EXPECT_EQ(r.v.status, c.status);
        if (c.status == 0) {
            EXPECT_TRUE(r.info.chunked);
            EXPECT_FALSE(r.info.has_content_length);
        }
    }
}

TEST(strict_transfer_encoding, across_lines) {
    EXPECT_EQ(check(post11("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")).v.status, 501);
    EXPECT_EQ(check(post11("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n")).v.status, 400);
    EXPECT_EQ(check(post11("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")).v.status, 400);
    // No line after the one with chunked, even an empty one (Beast refuses it too).
    EXPECT_EQ(check(post11("Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n")).v.status, 400);
    auto r = check(post11("Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n"));
    EXPECT_EQ(r.v.status, 0);
    EXPECT_TRUE(r.info.chunked);
    r = check(post11("transfer-encoding: chunked\r\n"));
    EXPECT_EQ(r.v.status, 0);
    EXPECT_TRUE(r.info.chunked);
}

TEST(strict_connection, keep_alive) {
    struct c {
        std::string head;
        bool keep_alive;
    };
    const std::vector<c> cases = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
        {head11("Connection: close\r\n"), false},
        {head11("Connection: Close\r\n"), false},
        {head11("Connection: CLOSE\r\n"), false},
        {head11("Connection: keep-alive\r\n"), true},
        {head11("Connection: keep-alive, close\r\n"), false},
        {head11("Connection: foo,close\r\n"), false},
        {head11("Connection: foo\r\nConnection: close\r\n"), false},
        {head11("Connection: closed\r\n"), true},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: TE, Keep-Alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n", false},
        {head11("Connection: ,, close ,\r\n"), false},
        {head11("Proxy-Connection: close\r\n"), false},
        {"GET / HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n", true},
    };
    for (const auto& x : cases) {
        SCOPED_TRACE(x.head);
        const auto r = check(x.head);
        ASSERT_EQ(r.v.status, 0);
        EXPECT_EQ(r.info.keep_alive, x.keep_alive);
    }
}

TEST(strict_expect, continue_and_others) {
    auto r = check(post11("Expect: 100-continue\r\nContent-Length: 5\r\n"));
    EXPECT_EQ(r.v.status, 0);
    EXPECT_TRUE(r.info.expect_continue);
    r = check(post11("Expect: 100-Continue \r\n"));
    EXPECT_EQ(r.v.status, 0);
    EXPECT_TRUE(r.info.expect_continue);
    r = check(post11("Expect:\r\n"));
    EXPECT_EQ(r.v.status, 0);
    EXPECT_FALSE(r.info.expect_continue);
    EXPECT_EQ(check(post11("Expect: foo\r\n")).v.status, 417);
    EXPECT_EQ(check(post11("Expect: 100-continue\r\nExpect: bar\r\n")).v.status, 417);
    EXPECT_EQ(check(post11("Expect: 100-continue-ish\r\n")).v.status, 417);
    // HTTP/1.0: every expectation is ignored (RFC 9110 10.1.1).
    r = check("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(r.v.status, 0);
    EXPECT_FALSE(r.info.expect_continue);
    EXPECT_EQ(check("POST / HTTP/1.0\r\nExpect: foo\r\n\r\n").v.status, 0);
    // A broken head is 400 before an unknown expectation is 417.
    EXPECT_EQ(check(post11("Expect: foo\r\nContent-Length: x\r\n")).v.status, 400);
    EXPECT_EQ(check(post11("Expect: foo\r\nTransfer-Encoding: gzip\r\n")).v.status, 400);
    EXPECT_EQ(check(post11("Expect: foo\r\nTransfer-Encoding: gzip, chunked\r\n")).v.status, 501);
}

TEST(strict_upgrade, needs_the_connection_token) {
    auto r = check(head11("Connection: Upgrade\r\nUpgrade: websocket\r\n"));
    EXPECT_EQ(r.v.status, 0);
    EXPECT_TRUE(r.info.upgrade);
    EXPECT_TRUE(r.info.keep_alive);
    r = check(head11("Upgrade: websocket\r\nConnection: keep-alive, upgrade\r\n"));
    EXPECT_TRUE(r.info.upgrade);
    EXPECT_FALSE(check(head11("Upgrade: websocket\r\n")).info.upgrade);
    EXPECT_FALSE(check(head11("Connection: upgrade\r\n")).info.upgrade);
}

TEST(strict_host, values) {
    const std::vector<std::pair<std::string, bool>> cases = {
        {"example.com", true},
        {"EXAMPLE.com", true},
        {"example.com:8080", true},
        {"example.com:", true},
        {"example.com:0", true},
        {"example.com:65535", true},
        {"example.com:00080", true},
        {"127.0.0.1", true},
        {"127.0.0.1:80", true},
        {"[::1]", true},
        {"[::1]:443", true},
        {"[::]", true},
        {"[2001:db8::1]", true},
        {"[2001:DB8:0:0:8:800:200C:417A]", true},
        {"[1:2:3:4:5:6:7::]", true},
        {"[::ffff:192.0.2.1]", true},
        {"[1:2:3:4:5:6:1.2.3.4]", true},
        {"[v1.fe80::a+b]", true},
        {"xn--bcher-kva.example", true},
        {"_srv.example", true},
        {"a%2Fb", true},
        {"a!$&'()*+;=b", true},
        {"a~b-c_d", true},
        {"", false},
        {":80", false},
        {"a b", false},
        {"a@b", false},
        {"a/b", false},
        {"a,b", false},
        {"a:65536", false},
        {"a:99999", false},
        {"a:123456", false},
        {"a:8x", false},
        {"a:-1", false},
        {"a:80:80", false},
        {"a%2", false},
        {"a%zz", false},
        {"[::1", false},
        {"::1", false},
        {"[::1]x", false},
        {"[::1]:x", false},
        {"[::g]", false},
        {"[1:2]", false},
        {"[1:2:3:4:5:6:7:8:9]", false},
        {"[1:2:3:4:5:6:7:8::]", false},
        {"[1::2::3]", false},
        {"[:1::2]", false},
        {"[1:]", false},
        {"[12345::]", false},
        {"[::1.2.3]", false},
        {"[::1.2.3.256]", false},
        {"[::1.2.3.04]", false},
        {"[1.2.3.4::]", false},
        {"[fe80::1%25eth0]", false},
        {"[v1.]", false},
        {"[vx.a]", false},
        {"[]", false},
        {"a?b", false},
        {"a#b", false},
        {"a\\b", false},
        {"\"a\"", false},
    };
    for (const auto& [host, ok] : cases) {
        SCOPED_TRACE(host);
        EXPECT_EQ(valid_host(host), ok);
        if (!host.empty()) {
            EXPECT_EQ(check("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").v.status, ok ? 0 : 400);
        }
    }
    EXPECT_TRUE(valid_host("a:1", true));
    EXPECT_FALSE(valid_host("a", true));
    EXPECT_FALSE(valid_host("a:", true));
    EXPECT_TRUE(valid_host("[::1]:1", true));
    EXPECT_FALSE(valid_host("[::1]", true));
}

// The common field line and the common Host are read 16 bytes at a time, with a careful reader
// behind for anything else: the same verdicts and parts wherever the 16-byte steps fall.
TEST(strict_fast_paths, field_lines_at_every_alignment) {
    struct line_case {
        std::string line;
        int status;
        std::string name, value;
    };
    const std::string n15(15, 'n'), n16(16, 'n'), n17(17, 'n'), v40(40, 'v');
    const std::vector<line_case> cases = {
        {"X: v", 0, "X", "v"},
        {"Accept:*/*", 0, "Accept", "*/*"},
        {"A:  \t v \t ", 0, "A", "v"},
        {"A: \tv", 0, "A", "v"},
        {"A:\t v", 0, "A", "v"},
        {"A:v w\tx", 0, "A", "v w\tx"},
        {"User-Agent: ApacheBench/2.3", 0, "User-Agent", "ApacheBench/2.3"},
        {n15 + ": v", 0, n15, "v"},
        {n16 + ": v", 0, n16, "v"},
        {n17 + ":v", 0, n17, "v"},
        {"X:", 0, "X", ""},
        {"X: ", 0, "X", ""},
        {"X:" + std::string(20, ' '), 0, "X", ""},
        {"X:" + std::string(20, ' ') + "v", 0, "X", "v"},
        {"X_Y: v", 0, "X_Y", "v"},
        {"x.y: v", 0, "x.y", "v"},
        {"X: \x80\xff", 0, "X", "\x80\xff"},
        {"X: " + v40, 0, "X", v40},
        {"X : v", 400, "", ""},
        {"X:v\rw", 400, "", ""},
        {"X:v\nw", 400, "", ""},
        {"X:" + v40 + "\rw", 400, "", ""},
        {"X: a\x01", 400, "", ""},
        {"X: a\x7f", 400, "", ""},
        {"X: a\0b"s, 400, "", ""},
        {":v", 400, "", ""},
        {" X: v", 400, "", ""},
        {"\tX: v", 400, "", ""},
        {"X v", 400, "", ""},
        {"X@: v", 400, "", ""},
        {n17 + " :v", 400, "", ""},
    };
    for (const auto& c : cases) {
        for (std::size_t pad = 0; pad <= 33; ++pad) {
            SCOPED_TRACE(::testing::Message() << '"' << c.line << "\" pad " << pad);
            // The line after Host, then first, then last of three: every offset within a
            // 16-byte step, and as the last line, with fewer than 16 bytes of input after it.
            const std::string target = "/" + std::string(pad, 'a');
            const std::vector<std::pair<std::string, std::size_t>> heads = {
                {"GET " + target + " HTTP/1.1\r\nHost: a\r\n" + c.line + "\r\n\r\n", 1},
                {"GET " + target + " HTTP/1.1\r\n" + c.line + "\r\nHost: a\r\n\r\n", 0},
                {"GET " + target + " HTTP/1.0\r\nA: b\r\nC: d\r\n" + c.line + "\r\n\r\n", 2},
            };
            for (const auto& [h, at] : heads) {
                head_info info;
                head_parts parts;
                const auto v = check_request_head(h, default_cfg, info, parts);
                ASSERT_EQ(v.status, c.status) << h;
                if (c.status != 0) continue;
                ASSERT_EQ(parts.fields.size(), 3u - (at == 2 ? 0u : 1u));
                EXPECT_EQ(parts.fields[at].name, c.name);
                EXPECT_EQ(parts.fields[at].value, c.value);
                head_parts prefix_parts;
                head_info prefix_info;
                const std::string next = h + "GET"; // the parts are views into it
                EXPECT_EQ(check_request_head_prefix(next, default_cfg, prefix_info, prefix_parts), h.size());
                ASSERT_EQ(prefix_parts.fields.size(), parts.fields.size());
                EXPECT_EQ(prefix_parts.fields[at].value, c.value);
            }
        }
    }
}

TEST(strict_fast_paths, host_at_every_alignment) {
    const std::vector<std::pair<std::string, bool>> cases = {
        {"a", true},
        {"a:", true},
        {"a:1", true},
        {"a:65535", true},
        {"a:00080", true},
        {"a:65536", false},
        {"a:123456", false},
        {"a:8x", false},
        {"a:x8", false},
        {"a:-1", false},
        {"a:6553x", false},
        {"a:0", true},
        {"a:65530", true},
        {"a:65540", false},
        {"a:70000", false},
        {"a:99999", false},
        {"a:80:80", false},
        {"-.-", true},
        {"localhost:8080", true},
        {"127.0.0.1:65535", true},
        {"abcdefghijklmnop", true},
        {"abcdefghijklmno:1", true},
        {"abcdefghij.klmnopqrstu", true},
        {"a.b.c.d.e.f.g.h:1", true},
        {"a_b:1", true},
        {"a~b", true},
        {"[::1]:80", true},
        {":80", false},
        {"a b", false},
        {"a@b:1", false},
        {"a/b", false},
        {"a\x80", false},
    };
    for (const auto& [host, ok] : cases) {
        for (std::size_t pad = 0; pad <= 17; ++pad) {
            SCOPED_TRACE(::testing::Message() << host << " pad " << pad);
            const std::string target = "/" + std::string(pad, 'a');
            EXPECT_EQ(check("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").v.status, ok ? 0 : 400);
            EXPECT_EQ(check("GET " + target + " HTTP/1.0\r\nHost:" + host + "\r\nX: y\r\n\r\n").v.status,
                      ok ? 0 : 400);
        }
    }
}

TEST(strict_scan, skip_leading_empty_lines) {
    EXPECT_EQ(skip_leading_empty_lines(""), 0u);
    EXPECT_EQ(skip_leading_empty_lines("GET"), 0u);
    EXPECT_EQ(skip_leading_empty_lines("\r\nGET"), 2u);
    EXPECT_EQ(skip_leading_empty_lines("\nGET"), 1u);
    EXPECT_EQ(skip_leading_empty_lines("\r\n\n\r\n\r\nGET"), 7u);
    EXPECT_EQ(skip_leading_empty_lines("\r\n\r"), 2u);
    EXPECT_EQ(skip_leading_empty_lines("\r\rGET"), 0u);
    EXPECT_EQ(skip_leading_empty_lines(" \r\nGET"), 0u);

    const std::string buf = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    const auto skip = skip_leading_empty_lines(buf);
    const auto rest = std::string_view(buf).substr(skip);
    EXPECT_EQ(find_head_end(rest), rest.size());
    head_info info;
    EXPECT_EQ(check_request_head(rest, default_cfg, info).status, 0);
    EXPECT_EQ(check_partial_head(buf, default_cfg).status, 0);
}

TEST(strict_scan, find_head_end) {
    EXPECT_EQ(find_head_end(""), 0u);
    EXPECT_EQ(find_head_end("\r\n\r"), 0u);
    EXPECT_EQ(find_head_end("\r\n\r\n"), 4u);
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n"), 0u);
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\n\n"), 0u);
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r"), 0u);
    const std::string h = "GET / HTTP/1.1\r\nHost: a\r\n\r\nbody\r\n\r\n";
    EXPECT_EQ(find_head_end(h), 27u);
    // Incremental: resume where the last search stopped, across a split terminator.
    for (std::size_t split = 0; split <= 27; ++split) {
        SCOPED_TRACE(split);
        const auto first = find_head_end(std::string_view(h).substr(0, split));
        EXPECT_EQ(first, split == 27 ? 27u : 0u);
        if (!first) {
            EXPECT_EQ(find_head_end(h, split), 27u);
        }
    }
    EXPECT_EQ(find_head_end(h, 1000), 0u);
}

TEST(strict_scan, partial_answers_early) {
    const auto cfg = small_cfg();
    EXPECT_EQ(check_partial_head("", cfg).status, 0);
    EXPECT_EQ(check_partial_head("\r", cfg).status, 0);
    EXPECT_EQ(check_partial_head("\r\n\r\nGE", cfg).status, 0);
    EXPECT_EQ(check_partial_head("\r\rGET", cfg).status, 400);
    EXPECT_EQ(check_partial_head("G@", cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET  ", cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET /a\x01", cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.1\n", cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET / HTTX", cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.", cfg).status, 0);
    EXPECT_EQ(check_partial_head("GET / HTTP/2.0", cfg).status, 0);
    EXPECT_EQ(check_partial_head("GET / HTTP/2.0\r", cfg).status, 0);
    EXPECT_EQ(check_partial_head("GET / HTTP/2.0\r\n", cfg).status, 505);
    EXPECT_EQ(check_partial_head("GET / HTTP/2.0\r\v", cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.0\r\n", cfg).status, 0);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.1\r\nHost: a\n", cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.1\r\nHost: a\rX", cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.1\r\n X", cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.1\r\nHo st", cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.1\r\nX: a\0"s, cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.1\r\nX: caf\xc3\xa9 \t", cfg).status, 0);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.1\r\n\rX", cfg).status, 400);
    EXPECT_EQ(check_partial_head("GET /" + std::string(31, 'a'), cfg).status, 0);
    EXPECT_EQ(check_partial_head("GET /" + std::string(32, 'a'), cfg).status, 414);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.1\r\nX: " + std::string(300, 'x'), cfg).status, 431);
    EXPECT_EQ(check_partial_head("GET / HTTP/1.1\r\nA:\r\nB:\r\nC:\r\nD:\r\nE:\r\nF", cfg).status, 431);
    // A complete head stops the scan; what follows is body.
    EXPECT_EQ(check_partial_head("GET / HTTP/1.1\r\nHost: a\r\n\r\n\x01\x02", cfg).status, 0);
}

TEST(strict_scan, partial_resumes_byte_by_byte) {
    const std::string bad = "GET / HTTP/1.1\r\nHost: a\r\nX: ok\r\nY: b\x01";
    partial_scan scan;
    std::size_t n = 0;
    for (; n <= bad.size(); ++n)
        if (check_partial_head(std::string_view(bad).substr(0, n), default_cfg, scan).status != 0) break;
    EXPECT_EQ(n, bad.size());
    EXPECT_EQ(check_partial_head(bad, default_cfg).status, 400);

    // A resumed scan equals a fresh one at every split point.
    const std::string good = "GET /x HTTP/1.1\r\nHost: a\r\nX: y\r\n";
    for (std::size_t split = 0; split <= good.size(); ++split) {
        partial_scan s;
        EXPECT_EQ(check_partial_head(std::string_view(good).substr(0, split), default_cfg, s).status, 0);
        EXPECT_EQ(check_partial_head(good + "Z\x01", default_cfg, s).status, 400) << split;
    }
}

TEST(strict_chunk, extensions) {
    const std::vector<std::pair<std::string, bool>> cases = {
        {"", true},
        {";a", true},
        {";a=b", true},
        {";a=b;c", true},
        {";a=b;c=d", true},
        {" ;a", true},
        {"\t;\ta\t=\tb", true},
        {"; a = b ; c", true},
        {";a=\"\"", true},
        {";a=\"q v\"", true},
        {";a=\"x\\\"y\"", true},
        {";a=\"\\\\\"", true},
        {";a=\"caf\xc3\xa9\"", true},
        {";a=\"\\\xff\"", true},
        {";!#$%&'*+-.^_`|~=x", true},
        {";", false},
        {";=v", false},
        {";a=", false},
        {";a= ", false},
        {";a=b c", false},
        {";a ", false},
        {" ", false},
        {";a;", false},
        {"a", false},
        {";\"bad", false},
        {";a=\"unterminated", false},
        {";a=\"x\"y", false},
        {";a=\"\0\""s, false},
        {";a=\"\x01\"", false},
        {";a=\"\x7f\"", false},
        {";a=\"\\\x01\"", false},
        {";a=\"x\\", false},
        {";a=\xc3\xa9", false},
        {";a\x01", false},
        {";a=b,c", false},
        {";a@b", false},
    };
    for (const auto& [ext, ok] : cases) {
        SCOPED_TRACE(ext);
        EXPECT_EQ(valid_chunk_extensions(ext), ok);
    }
}

TEST(strict_chunk, trailer_fields) {
    EXPECT_EQ(check_trailer_field("X-Checksum", "abc").status, 0);
    EXPECT_EQ(check_trailer_field("Server-Timing", "db;dur=53").status, 0);
    EXPECT_EQ(check_trailer_field("X", "").status, 0);
    EXPECT_EQ(check_trailer_field("X", "caf\xc3\xa9 \t v").status, 0);
    EXPECT_EQ(check_trailer_field("", "v").status, 400);
    EXPECT_EQ(check_trailer_field("X Y", "v").status, 400);
    EXPECT_EQ(check_trailer_field("X", "a\0b"s).status, 400);
    EXPECT_EQ(check_trailer_field("X", "a\r\nb").status, 400);
    for (const char* f : {"Content-Length",
                          "transfer-encoding",
                          "HOST",
                          "Connection",
                          "Keep-Alive",
                          "Upgrade",
                          "TE",
                          "Trailer",
                          "Expect",
                          "Content-Type",
                          "Content-Encoding",
                          "Content-Range",
                          "Range",
                          "Authorization",
                          "Proxy-Authorization",
                          "Cookie",
                          "Set-Cookie",
                          "Cache-Control",
                          "Max-Forwards",
                          "Pragma",
                          "If-Match",
                          "If-None-Match",
                          "If-Modified-Since",
                          "If-Unmodified-Since",
                          "If-Range",
                          "Proxy-Connection"}) {
        SCOPED_TRACE(f);
        EXPECT_EQ(check_trailer_field(f, "x").status, 400);
    }
}

} // namespace
