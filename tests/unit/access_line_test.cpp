// The three access-log formats, byte for byte, and their escaping of client bytes.
#include "log/detail/access_line.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

using nodus::log::detail::access_entry;
using nodus::log::detail::access_format;
using nodus::log::detail::format_access;

namespace {

access_entry sample() {
    access_entry e;
    e.remote = "10.0.0.7";
    e.method = "GET";
    e.target = "/a?b=1";
    e.version = 11;
    e.status = 200;
    e.bytes = 12;
    e.duration_us = 1534;
    return e;
}

std::string line(access_format f, const access_entry& e) {
    std::string out;
    format_access(out, f, "] [access] [pid 7] ", e);
    return out;
}

} // namespace

TEST(access_line, default_is_the_line_of_earlier_releases) {
    const auto l = line(access_format::plain, sample());
    EXPECT_TRUE(
        std::regex_match(l,
                         std::regex(R"(\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] \[access\] \[pid 7\] )"
                                    R"(10\.0\.0\.7 "GET /a\?b=1" 200 12 1\.534ms\n)")))
        << l;
}

// Short numbers are written without std::to_chars: every length around the shortcuts.
TEST(access_line, numbers_of_every_length) {
    const std::uint64_t values[] = {0, 1, 9, 10, 11, 42, 99, 100, 101, 500, 999, 1000, 1001, 65535,
                                    123456789, 18446744073709551615u};
    for (std::uint64_t n : values) {
        auto e = sample();
        e.bytes = n;
        e.duration_us = n;
        const auto l = line(access_format::plain, e);
        const std::string ms = std::to_string(n / 1000) + "." + std::string(1, char('0' + n % 1000 / 100)) +
            std::string(1, char('0' + n % 100 / 10)) + std::string(1, char('0' + n % 10)) + "ms\n";
        EXPECT_NE(l.find("\" 200 " + std::to_string(n) + " " + ms), std::string::npos) << n << ": " << l;
    }
    for (int status : {100, 204, 404, 599}) {
        auto e = sample();
        e.status = status;
        const auto l = line(access_format::combined, e);
        EXPECT_NE(l.find("HTTP/1.1\" " + std::to_string(status) + " 12 "), std::string::npos) << l;
    }
}

TEST(access_line, combined_is_nginx_combined) {
    auto e = sample();
    e.referer = "http://example.com/start";
    e.user_agent = "curl/7.88.1";
    const auto l = line(access_format::combined, e);
    EXPECT_TRUE(std::regex_match(
        l,
        std::regex(R"(10\.0\.0\.7 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] )"
                   R"("GET /a\?b=1 HTTP/1\.1" 200 12 "http://example\.com/start" "curl/7\.88\.1"\n)")))
        << l;
}

TEST(access_line, combined_writes_a_dash_for_absent_headers) {
    auto e = sample();
    e.version = 10;
    const auto l = line(access_format::combined, e);
    EXPECT_NE(l.find("\"GET /a?b=1 HTTP/1.0\" 200 12 \"-\" \"-\"\n"), std::string::npos) << l;
}

TEST(access_line, every_format_carries_the_request_id) {
    auto e = sample();
    e.request_id = "req-42";
    EXPECT_NE(line(access_format::plain, e).find("1.534ms \"req-42\"\n"), std::string::npos);
    EXPECT_NE(line(access_format::combined, e).find("\"-\" \"-\" \"req-42\"\n"), std::string::npos);
    EXPECT_NE(line(access_format::json, e).find(",\"request_id\":\"req-42\"}"), std::string::npos);
}

TEST(access_line, json_has_every_field) {
    auto e = sample();
    e.user_agent = "ua";
    const auto l = line(access_format::json, e);
    EXPECT_TRUE(std::regex_match(
        l,
        std::regex(
            R"re(\{"time":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}([+-]\d{2}:\d{2}|Z)","remote":"10\.0\.0\.7",)re"
            R"("method":"GET","target":"/a\?b=1","protocol":"HTTP/1\.1","status":200,"bytes":12,)"
            R"("duration_ms":1\.534,"referer":"","user_agent":"ua","request_id":""\}\n)")))
        << l;
}

TEST(access_line, client_bytes_cannot_forge_a_line_or_break_quoting) {
    auto e = sample();
    e.target = "/x\"y\\z\n[access] forged\x01\x7f";
    e.user_agent = "a\"b";
    const auto plain = line(access_format::plain, e);
    EXPECT_NE(plain.find(R"("GET /x\x22y\x5cz\x0a[access] forged\x01\x7f" 200)"), std::string::npos) << plain;
    const auto combined = line(access_format::combined, e);
    EXPECT_NE(combined.find(R"(/x\x22y\x5cz\x0a[access] forged\x01\x7f HTTP/1.1")"), std::string::npos)
        << combined;
    EXPECT_NE(combined.find(R"("a\x22b")"), std::string::npos) << combined;
    const auto json = line(access_format::json, e);
    EXPECT_NE(json.find(R"("target":"/x\"y\\z\u000a[access] forged\u0001\u007f")"), std::string::npos)
        << json;
    for (const auto& l : {plain, combined, json}) EXPECT_EQ(l.find('\n'), l.size() - 1) << l;
}

TEST(access_line, json_keeps_utf8_and_escapes_bytes_that_are_not) {
    auto e = sample();
    e.target = "/caf\xc3\xa9/\xff\xc3/\xed\xa0\x80";
    const auto l = line(access_format::json, e);
    EXPECT_NE(l.find("\"target\":\"/caf\xc3\xa9/\\u00ff\\u00c3/\\u00ed\\u00a0\\u0080\""), std::string::npos)
        << l;
}

TEST(access_line, combined_escapes_bytes_above_ascii_as_nginx_does) {
    auto e = sample();
    e.target = "/caf\xc3\xa9";
    EXPECT_NE(line(access_format::combined, e).find(R"("GET /caf\xc3\xa9 HTTP/1.1")"), std::string::npos);
}

TEST(access_line, a_refused_request_without_version_has_none_in_its_line) {
    auto e = sample();
    e.version = 0;
    e.method = "-";
    e.target = "";
    EXPECT_NE(line(access_format::combined, e).find("\"- \" 200"), std::string::npos);
    EXPECT_NE(line(access_format::json, e).find("\"protocol\":\"\""), std::string::npos);
}

TEST(access_line, format_names) {
    access_format f{};
    EXPECT_TRUE(nodus::log::detail::parse_access_format("combined", f));
    EXPECT_EQ(f, access_format::combined);
    EXPECT_TRUE(nodus::log::detail::parse_access_format("json", f));
    EXPECT_EQ(f, access_format::json);
    EXPECT_TRUE(nodus::log::detail::parse_access_format("default", f));
    EXPECT_EQ(f, access_format::plain);
    EXPECT_FALSE(nodus::log::detail::parse_access_format("Combined", f));
}
