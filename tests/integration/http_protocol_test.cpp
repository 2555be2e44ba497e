// RFC 9112 over real sockets: absolute-form targets (§3.2.2).
#include "support/http_client.hpp"
#include "support/test_server.hpp"

#include <nodus/router/router.hpp>

#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace {

using nodus::request;
using nodus::response;
using nodus::test::test_server;

// Every timeout far away: an answer that comes at all comes from the bytes themselves.
nodus::http_config patient() {
    nodus::http_config cfg;
    cfg.header_timeout_ms = 60000;
    cfg.request_timeout_ms = 60000;
    cfg.keep_alive_timeout_ms = 60000;
    return cfg;
}

// ------------------------------------------------------------------ absolute-form

class absolute_form : public ::testing::Test {
protected:
    nodus::router router_;   // outlives the server

    std::string get(std::string_view request_bytes) {
        if (!server_)
            server_.emplace([this](request q, response s) { router_(q, s); }, patient());
        auto r = nodus::test::exchange(server_->port(), request_bytes);
        return std::to_string(r.status) + " " + r.body;
    }

    void SetUp() override {
        auto describe = [](request req, response res) {
            res.end(std::string{req.param("id")} + "|" + std::string{req.path()} + "|" +
                    std::string{req.query("x")} + "|" + std::string{req.host()} + "|" +
                    std::string{req.target()});
        };
        router_.get("/users/:id", describe);
        router_.get("/", describe);
    }

private:
    std::optional<test_server> server_;
};

TEST_F(absolute_form, is_routed_by_its_path_with_its_authority_as_host) {
    EXPECT_EQ(get("GET http://example.com/users/7?x=1 HTTP/1.1\r\nHost: other.org\r\n\r\n"),
              "200 7|/users/7|1|example.com|http://example.com/users/7?x=1");
    EXPECT_EQ(get("GET HTTPS://Example.com:8443/users/a%20b HTTP/1.1\r\nHost: x\r\n\r\n"),
              "200 a b|/users/a%20b||Example.com:8443|HTTPS://Example.com:8443/users/a%20b");
}

TEST_F(absolute_form, without_a_path_is_the_root) {
    EXPECT_EQ(get("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"),
              "200 |/||example.com|http://example.com");
    EXPECT_EQ(get("GET http://example.com?x=2 HTTP/1.1\r\nHost: example.com\r\n\r\n"),
              "200 |/|2|example.com|http://example.com?x=2");
}

TEST_F(absolute_form, still_needs_a_host_field_in_http11_but_not_in_http10) {
    EXPECT_EQ(get("GET http://example.com/users/1 HTTP/1.1\r\n\r\n").substr(0, 4), "400 ");
    EXPECT_EQ(get("GET http://example.com/users/1 HTTP/1.0\r\n\r\n"),
              "200 1|/users/1||example.com|http://example.com/users/1");
    // Origin-form: the Host field is the host.
    EXPECT_EQ(get("GET /users/2 HTTP/1.1\r\nHost: h.example:81\r\n\r\n"), "200 2|/users/2||h.example:81|/users/2");
}

} // namespace
