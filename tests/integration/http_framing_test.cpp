// The framing headers an application sets itself (Content-Length, Date, Server): the server
// keeps the message well-formed whatever the handler declares.
#include "support/http_client.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <strings.h>

using nodus::request;
using nodus::response;
using nodus::test::exchange;
using nodus::test::roundtrip;
using nodus::test::test_server;

TEST(http, body_longer_than_declared_length_is_cut_and_closed) {
    auto handler = [](request, response res) {
        res.set("Content-Length", "3");
        res.end("abcdef");
    };
    test_server srv{handler};
    auto raw = roundtrip(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(raw.find("Content-Length: 3\r\n"), std::string::npos) << raw;
    EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos) << raw;
    EXPECT_TRUE(raw.ends_with("\r\n\r\nabc")) << raw;
}

TEST(http, streamed_body_past_declared_length_is_cut) {
    auto handler = [](request, response res) {
        res.set("Content-Length", "4");
        res.write("ab");
        res.write("cdef");
        res.end("gh");
    };
    test_server srv{handler};
    auto raw = roundtrip(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_TRUE(raw.ends_with("\r\n\r\nabcd")) << raw;
}

TEST(http, application_date_and_server_replace_the_defaults) {
    auto handler = [](request, response res) {
        res.set("server", "mine");
        res.set("Date", "Thu, 01 Jan 1970 00:00:00 GMT");
        res.remove("DATE");
        res.end("x");
    };
    test_server srv{handler};
    auto r = exchange(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    int servers = 0, dates = 0;
    for (auto& [n, v] : r.headers) {
        if (strcasecmp(n.c_str(), "Server") == 0) ++servers;
        if (strcasecmp(n.c_str(), "Date") == 0) ++dates;
    }
    EXPECT_EQ(servers, 1);
    EXPECT_EQ(r.header("Server"), "mine");
    EXPECT_EQ(dates, 1); // the removed Date is replaced by the server's own
    EXPECT_NE(r.header("Date"), "Thu, 01 Jan 1970 00:00:00 GMT");
}
