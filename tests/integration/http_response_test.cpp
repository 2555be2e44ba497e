// The response handle's header rules on real loopback sockets.
#include "support/http_client.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

using nodus::request;
using nodus::response;
using nodus::test::client;
using nodus::test::test_server;

namespace {

// Answers with `Connection: <value>` as the application set it.
nodus::handler connection_header(std::string value) {
    return [value](request, response res) {
        res.set("Connection", value);
        res.end("bye\n");
    };
}

} // namespace

// Header names and the `close` token are case-insensitive (RFC 9110 §7.6.1).
TEST(http_response, connection_close_token_is_case_insensitive) {
    for (const char* value : {"close", "Close", "CLOSE", "keep-alive, Close"}) {
        test_server srv{connection_header(value)};
        client c{srv.port()};
        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        auto r = c.read_response();
        ASSERT_TRUE(r) << value;
        EXPECT_EQ(r->header("Connection"), "close") << value;
        EXPECT_TRUE(c.closed_within(std::chrono::seconds(2))) << value;
    }
}

// A header name set in one case is found, replaced and removed in any other.
TEST(http_response, header_names_are_case_insensitive) {
    test_server srv{[](request, response res) {
        res.set("X-Token", "one");
        res.set("x-token", "two");
        bool found = res.get("X-TOKEN") == "two";
        res.append("X-Other", "a");
        res.remove("x-other");
        res.end(found ? "found\n" : "missing\n");
    }};
    client c{srv.port()};
    c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "found\n");
    EXPECT_EQ(r->header("X-Token"), "two");
    EXPECT_FALSE(r->has_header("X-Other"));
}

// Mutators work through a const copy captured by value (the handles are shallow).
TEST(http_response, const_handles_can_respond) {
    test_server srv{[](request req, response res) {
        const request r = req;
        const response s = res;
        r.on_end([s] {
            s.status(201);
            s.set("Content-Type", "text/plain");
            s.end("made\n");
        });
    }};
    client c{srv.port()};
    c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 201);
    EXPECT_EQ(r->body, "made\n");
}
