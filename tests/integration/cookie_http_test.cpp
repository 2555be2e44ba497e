// Cookies over real sockets: curl's cookie jar (-c / -b) and hostile Cookie headers.
#include "support/curl.hpp"
#include "support/http_client.hpp"
#include "support/web_server.hpp"

#include <nodus/cookie/cookie.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

class cookie_http : public ::testing::Test {
protected:
    void SetUp() override {
        web_.router.post("/login", [](nodus::request, nodus::response res) {
            nodus::set_cookie(res, "sid", "s3cr3t",
                              {.path = "/", .http_only = true, .same_site = nodus::same_site_policy::lax});
            nodus::set_cookie(res, "theme", "dark", {.path = "/", .max_age = std::chrono::hours(1)});
            res.end("in\n");
        });
        web_.router.get("/whoami", [](nodus::request req, nodus::response res) {
            res.end(std::string{nodus::cookie(req, "sid")} + "," + std::string{nodus::cookie(req, "theme")} +
                    "," + std::to_string(nodus::cookies(req).size()));
        });
        web_.router.post("/logout", [](nodus::request, nodus::response res) {
            nodus::clear_cookie(res, "sid", {.path = "/"});
            res.end("out\n");
        });
        web_.router.get("/bad", [](nodus::request req, nodus::response res) {
            bool ok = nodus::set_cookie(res, "x", std::string{req.query("v")});
            res.end(ok ? "set" : "refused");
        });
        port_ = web_.start();
        jar_ = ::testing::TempDir() + "nodus-cookie-jar-" + std::to_string(port_);
    }
    void TearDown() override { std::remove(jar_.c_str()); }

    std::string url(std::string_view path) {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string{path};
    }

    nodus::test::web_server web_;
    std::uint16_t port_ = 0;
    std::string jar_;
};

TEST_F(cookie_http, curl_cookie_jar_round_trip) {
    auto r = nodus::test::curl("-c " + jar_ + " -X POST " + url("/login"));
    ASSERT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "in\n");
    std::ifstream f{jar_};
    std::stringstream jar;
    jar << f.rdbuf();
    EXPECT_NE(jar.str().find("#HttpOnly_127.0.0.1"), std::string::npos) << jar.str();
    EXPECT_NE(jar.str().find("theme\tdark"), std::string::npos) << jar.str();
    EXPECT_EQ(nodus::test::curl("-b " + jar_ + " " + url("/whoami")).out, "s3cr3t,dark,2");
    EXPECT_EQ(nodus::test::curl("-b " + jar_ + " -c " + jar_ + " -X POST " + url("/logout")).out, "out\n");
    EXPECT_EQ(nodus::test::curl("-b " + jar_ + " " + url("/whoami")).out, ",dark,1");
}

TEST_F(cookie_http, set_cookie_lines_on_the_wire) {
    auto r = nodus::test::exchange(port_, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    std::vector<std::string> lines;
    for (auto& [n, v] : r.headers)
        if (n == "Set-Cookie") lines.push_back(v);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "sid=s3cr3t; Path=/; HttpOnly; SameSite=Lax");
    EXPECT_EQ(lines[1], "theme=dark; Path=/; Max-Age=3600");
}

TEST_F(cookie_http, values_that_would_break_the_header_are_not_sent) {
    for (auto v : {"a%3Bb", "a%0D%0ASet-Cookie:%20evil=1", "a%20b", "%22", "caf%C3%A9"}) {
        auto r =
            nodus::test::exchange(port_, "GET /bad?v=" + std::string{v} + " HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_EQ(r.body, "refused") << v;
        EXPECT_FALSE(r.has_header("Set-Cookie")) << v;
    }
    auto r = nodus::test::exchange(port_, "GET /bad?v=fine HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.header("Set-Cookie"), "x=fine");
}

TEST_F(cookie_http, hostile_cookie_headers) {
    auto ask = [&](std::string_view cookie_lines) {
        return nodus::test::exchange(
                   port_, "GET /whoami HTTP/1.1\r\nHost: x\r\n" + std::string{cookie_lines} + "\r\n")
            .body;
    };
    EXPECT_EQ(ask("Cookie: sid=1; sid=2\r\n"), "1,,2");
    EXPECT_EQ(ask("Cookie: ;;;=;sid\r\n"), ",,0");
    EXPECT_EQ(ask("Cookie: a=1\r\nCookie: sid=two\r\n"), "two,,2");
    EXPECT_EQ(ask("Cookie: sid=\"quoted\"; theme=\"\r\n"), "quoted,\",2");
    EXPECT_EQ(ask("Cookie: " + std::string(6000, ';') + "sid=deep\r\n"), "deep,,1");
    EXPECT_EQ(ask("Cookie: s\xff"
                  "d=1; sid=\xfe\r\n"),
              "\xfe,,1");
}

} // namespace
