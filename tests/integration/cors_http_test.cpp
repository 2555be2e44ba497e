// CORS middleware over real sockets: preflights, simple requests, disallowed origins.
#include "support/curl.hpp"
#include "support/http_client.hpp"
#include "support/web_server.hpp"

#include <nodus/cors/cors.hpp>

#include <gtest/gtest.h>

#include <atomic>

namespace {

class cors_http : public ::testing::Test {
protected:
    void serve(nodus::cors_options o) {
        web_.router.use(nodus::cors(std::move(o)));
        web_.router.get("/todos", [this](nodus::request, nodus::response res) {
            ++reached_;
            res.set("X-Total", "3");
            res.end("[]");
        });
        web_.router.get("/fail",
                        [](nodus::request, nodus::response) {}); // dropped: the connection answers 500
        port_ = web_.start();
    }
    nodus::test::parsed_response ask(std::string_view method, std::string_view path,
                                     std::string_view headers) {
        return nodus::test::exchange(port_,
                                     std::string{method} + " " + std::string{path} +
                                         " HTTP/1.1\r\nHost: x\r\n" + std::string{headers} + "\r\n");
    }
    static bool any_acao(const nodus::test::parsed_response& r) {
        for (auto& [n, v] : r.headers)
            if (n.starts_with("Access-Control-Allow")) return true;
        return false;
    }

    nodus::test::web_server web_;
    std::uint16_t port_ = 0;
    std::atomic<int> reached_{0};
};

TEST_F(cors_http, preflight_is_answered_without_reaching_routes) {
    serve({.origins = nodus::split_origins("https://app.example, https://other.example"),
           .headers = {"Content-Type", "X-Token"},
           .exposed_headers = {"X-Total"},
           .credentials = true,
           .max_age = std::chrono::seconds(600)});
    auto r = ask("OPTIONS", "/todos",
                 "Origin: https://app.example\r\nAccess-Control-Request-Method: PUT\r\n"
                 "Access-Control-Request-Headers: x-token\r\n");
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://app.example");
    EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "true");
    EXPECT_EQ(r.header("Access-Control-Allow-Methods"), "GET, HEAD, PUT, PATCH, POST, DELETE");
    EXPECT_EQ(r.header("Access-Control-Allow-Headers"), "Content-Type, X-Token");
    EXPECT_EQ(r.header("Access-Control-Max-Age"), "600");
    EXPECT_EQ(r.header("Vary"), "Origin");
    EXPECT_EQ(reached_, 0);
    // A preflight for a path with no route is answered too: the browser asks before it knows.
    EXPECT_EQ(
        ask("OPTIONS", "/nowhere", "Origin: https://app.example\r\nAccess-Control-Request-Method: GET\r\n")
            .status,
        204);
}

TEST_F(cors_http, simple_requests_and_disallowed_origins) {
    serve({.origins = {"https://app.example"}, .exposed_headers = {"X-Total"}});
    auto r = ask("GET", "/todos", "Origin: HTTPS://APP.EXAMPLE\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "HTTPS://APP.EXAMPLE");
    EXPECT_EQ(r.header("Access-Control-Expose-Headers"), "X-Total");
    EXPECT_FALSE(r.has_header("Access-Control-Allow-Credentials"));
    EXPECT_EQ(r.header("Vary"), "Origin");

    r = ask("GET", "/todos", "Origin: https://evil.example\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_FALSE(any_acao(r));
    EXPECT_FALSE(r.has_header("Access-Control-Expose-Headers"));
    EXPECT_EQ(r.header("Vary"), "Origin");

    r = ask("OPTIONS", "/todos", "Origin: https://evil.example\r\nAccess-Control-Request-Method: DELETE\r\n");
    EXPECT_EQ(r.status, 204);
    EXPECT_FALSE(any_acao(r));

    r = ask("GET", "/todos", "");
    EXPECT_FALSE(any_acao(r));
    EXPECT_EQ(r.header("Vary"), "Origin");

    // The framework's own answers keep the CORS fields, so a browser can read the error.
    r = ask("GET", "/fail", "Origin: https://app.example\r\n");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://app.example");
}

TEST_F(cors_http, wildcard_predicate_and_curl) {
    serve({.allow_origin = [](std::string_view o) { return o.ends_with(".trusted.example"); }});
    EXPECT_EQ(
        ask("GET", "/todos", "Origin: https://a.trusted.example\r\n").header("Access-Control-Allow-Origin"),
        "https://a.trusted.example");
    EXPECT_FALSE(any_acao(ask("GET", "/todos", "Origin: https://trusted.example.evil\r\n")));
    auto c = nodus::test::curl(
        "-o /dev/null -w '%{http_code} %header{access-control-allow-origin}' -X OPTIONS "
        "-H 'Origin: https://x.trusted.example' -H 'Access-Control-Request-Method: POST' "
        "http://127.0.0.1:" +
        std::to_string(port_) + "/todos");
    EXPECT_EQ(c.out, "204 https://x.trusted.example");
}

TEST(cors_any, star_without_credentials) {
    nodus::test::web_server web;
    web.router.use(nodus::cors({.origins = {"*"}}));
    web.router.get("/", [](nodus::request, nodus::response res) { res.end("x"); });
    auto port = web.start();
    auto r = nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nOrigin: https://a.example\r\n\r\n");
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
    EXPECT_FALSE(r.has_header("Vary"));
}

TEST(cors_any, star_with_credentials_echoes_the_origin) {
    nodus::test::web_server web;
    web.router.use(nodus::cors({.origins = {"*"}, .credentials = true}));
    web.router.get("/", [](nodus::request, nodus::response res) { res.end("x"); });
    auto port = web.start();
    auto r = nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nOrigin: https://a.example\r\n\r\n");
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://a.example");
    EXPECT_EQ(r.header("Vary"), "Origin");
}

} // namespace
