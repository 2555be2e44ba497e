// Cookie header parsing and Set-Cookie building, hostile input included.
#include <nodus/cookie/cookie.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using nodus::cookie_options;
using nodus::format_set_cookie;
using nodus::parse_cookies;
using nodus::same_site_policy;

TEST(cookie_parse, pairs_in_order_with_spaces_and_quotes) {
    auto c = parse_cookies("a=1; b = two ;c=\"q v\";d=;e=x=y");
    ASSERT_EQ(c.size(), 5u);
    EXPECT_EQ(c[0].name, "a");
    EXPECT_EQ(c[0].value, "1");
    EXPECT_EQ(c[1].name, "b");
    EXPECT_EQ(c[1].value, "two");
    EXPECT_EQ(c[2].value, "q v");
    EXPECT_EQ(c[3].name, "d");
    EXPECT_EQ(c[3].value, "");
    EXPECT_EQ(c[4].value, "x=y");
}

TEST(cookie_parse, hostile_input_is_skipped_not_crashed_on) {
    EXPECT_TRUE(parse_cookies("").empty());
    EXPECT_TRUE(parse_cookies(";;;").empty());
    EXPECT_TRUE(parse_cookies("novalue").empty());
    EXPECT_TRUE(parse_cookies("=nameless").empty());
    EXPECT_TRUE(parse_cookies("a b=1").empty()); // a name is a token
    EXPECT_TRUE(parse_cookies("(x)=1; @=2").empty());
    auto c = parse_cookies("\"=1; ok=2; \t; x\x01y=3");
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].name, "ok");
    auto q = parse_cookies("a=\"");
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0].value, "\""); // a lone quote is not a quoted value
    std::string many;
    for (int i = 0; i < 2000; ++i) many += "k" + std::to_string(i) + "=v;";
    EXPECT_EQ(parse_cookies(many).size(), 2000u);
}

TEST(set_cookie, every_attribute) {
    cookie_options o;
    o.path = "/app";
    o.domain = "example.com";
    o.max_age = std::chrono::seconds{3600};
    o.expires = std::chrono::system_clock::time_point{std::chrono::seconds{784111777}};
    o.secure = true;
    o.http_only = true;
    o.same_site = same_site_policy::none;
    o.partitioned = true;
    auto line = format_set_cookie("sid", "abc123", o);
    ASSERT_TRUE(line);
    EXPECT_EQ(
        *line,
        "sid=abc123; Path=/app; Domain=example.com; Max-Age=3600; Expires=Sun, 06 Nov 1994 08:49:37 GMT; "
        "Secure; HttpOnly; SameSite=None; Partitioned");
    EXPECT_EQ(*format_set_cookie("a", "b"), "a=b");
    EXPECT_EQ(*format_set_cookie("a", "\"quoted\"", {.same_site = same_site_policy::strict}),
              "a=\"quoted\"; SameSite=Strict");
    EXPECT_EQ(*format_set_cookie("a", "",
                                 {.max_age = std::chrono::seconds{-5}, .same_site = same_site_policy::lax}),
              "a=; Max-Age=0; SameSite=Lax");
}

TEST(set_cookie, values_that_would_break_the_header_are_refused) {
    std::string why;
    using sv = std::string_view;
    for (sv bad : {sv{"a;b"}, sv{"a b"}, sv{"a,b"}, sv{"a\"b"}, sv{"a\\b"}, sv{"a\r\nSet-Cookie: x=y"},
                   sv{"caf\xc3\xa9"}, sv{"a\0b", 3}, sv{"\"unterminated"}}) {
        EXPECT_FALSE(format_set_cookie("n", bad, {}, &why)) << bad;
        EXPECT_FALSE(why.empty());
    }
    for (sv bad : {sv{""}, sv{"a b"}, sv{"a;b"}, sv{"a=b"}, sv{"a\nb"}, sv{"(x)"}})
        EXPECT_FALSE(format_set_cookie(bad, "v")) << bad;
    EXPECT_FALSE(format_set_cookie("n", std::string(5000, 'x')));
    EXPECT_FALSE(format_set_cookie("n", "v", {.path = "relative"}));
    EXPECT_FALSE(format_set_cookie("n", "v", {.path = "/a;Domain=evil.com"}));
    EXPECT_FALSE(format_set_cookie("n", "v", {.path = "/a\r\nX: y"}));
    EXPECT_FALSE(format_set_cookie("n", "v", {.path = "/" + std::string(2000, 'p')}));
    EXPECT_FALSE(format_set_cookie("n", "v", {.domain = "evil.com; Secure"}));
    EXPECT_FALSE(format_set_cookie("n", "v", {.domain = "a..b"}));
    EXPECT_FALSE(format_set_cookie("n", "v", {.domain = "."}));
}

TEST(set_cookie, browser_rules_are_enforced) {
    EXPECT_FALSE(format_set_cookie("n", "v", {.same_site = same_site_policy::none}));
    EXPECT_FALSE(format_set_cookie("n", "v", {.partitioned = true}));
    EXPECT_FALSE(format_set_cookie("__Secure-n", "v"));
    EXPECT_TRUE(format_set_cookie("__Secure-n", "v", {.secure = true}));
    EXPECT_FALSE(format_set_cookie("__Host-n", "v", {.secure = true}));
    EXPECT_FALSE(format_set_cookie("__host-n", "v", {.path = "/", .domain = "example.com", .secure = true}));
    EXPECT_TRUE(format_set_cookie("__Host-n", "v", {.path = "/", .secure = true}));
}

} // namespace
