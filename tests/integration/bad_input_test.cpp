// Strict request parsing on real sockets: every malformed or smuggling-prone request is
// answered with the right status and a close, and no other connection notices.
#include "support/http_client.hpp"
#include "support/test_server.hpp"

#include <nodus/loop/loop.hpp>

#include <gtest/gtest.h>

#include <memory>

using nodus::test::client;
using nodus::test::test_server;

namespace {

struct bad_case {
    const char* name;
    std::string request;
    int status;
};

std::string with_host(std::string line, std::string rest = "") {
    return line + "\r\nHost: x\r\n" + rest + "\r\n";
}

std::vector<bad_case> cases() {
    return {
        // Transfer-Encoding: final coding must be chunked, only chunked is implemented
        {"te_gzip_only", with_host("POST / HTTP/1.1", "Transfer-Encoding: gzip\r\n"), 400},
        {"te_chunked_then_gzip", with_host("POST / HTTP/1.1", "Transfer-Encoding: chunked, gzip\r\n"), 400},
        {"te_gzip_then_chunked", with_host("POST / HTTP/1.1", "Transfer-Encoding: gzip, chunked\r\n"), 501},
        {"te_quoted", with_host("POST / HTTP/1.1", "Transfer-Encoding: \"chunked\"\r\n"), 400},
        {"te_param", with_host("POST / HTTP/1.1", "Transfer-Encoding: chunked;foo=bar\r\n"), 400},
        {"te_junk", with_host("POST / HTTP/1.1", "Transfer-Encoding: chunkedx\r\n"), 400},
        {"te_high_byte", with_host("POST / HTTP/1.1", "Transfer-Encoding: chunked\xA0\r\n"), 400},
        {"te_twice",
         with_host("POST / HTTP/1.1", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400},
        {"te_empty", with_host("POST / HTTP/1.1", "Transfer-Encoding: \r\n"), 400},
        {"te_identity", with_host("POST / HTTP/1.1", "Transfer-Encoding: identity\r\n"), 400},
        {"te_with_cl", with_host("POST / HTTP/1.1", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"),
         400},
        {"te_in_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        // field syntax
        {"obs_fold", with_host("GET / HTTP/1.1", "X-A: 1\r\n  continued\r\n"), 400},
        {"space_before_colon", with_host("GET / HTTP/1.1", "X-A : 1\r\n"), 400},
        {"nul_in_value", with_host("GET / HTTP/1.1", std::string("X-A: a\0b\r\n", 10)), 400},
        {"bare_cr_in_value", with_host("GET / HTTP/1.1", "X-A: a\rb\r\n"), 400},
        {"bare_lf_line_end", "GET / HTTP/1.1\nHost: x\n\n", 400},
        {"ctl_in_value",
         with_host("GET / HTTP/1.1",
                   "X-A: a\x01"
                   "b\r\n"),
         400},
        {"bad_field_name", with_host("GET / HTTP/1.1", "X(A): 1\r\n"), 400},
        {"empty_field_name", with_host("GET / HTTP/1.1", ": 1\r\n"), 400},
        // Content-Length
        {"cl_twice_differs", with_host("POST / HTTP/1.1", "Content-Length: 1\r\nContent-Length: 2\r\n"), 400},
        {"cl_twice_same", with_host("POST / HTTP/1.1", "Content-Length: 1\r\nContent-Length: 1\r\n"), 400},
        {"cl_list", with_host("POST / HTTP/1.1", "Content-Length: 1, 1\r\n"), 400},
        {"cl_sign", with_host("POST / HTTP/1.1", "Content-Length: +1\r\n"), 400},
        {"cl_hex", with_host("POST / HTTP/1.1", "Content-Length: 0x1\r\n"), 400},
        {"cl_overflow", with_host("POST / HTTP/1.1", "Content-Length: 99999999999999999999\r\n"), 400},
        // Host
        {"missing_host", "GET / HTTP/1.1\r\n\r\n", 400},
        {"two_hosts", with_host("GET / HTTP/1.1", "Host: y\r\n"), 400},
        {"bad_host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
        {"host_with_userinfo", "GET / HTTP/1.1\r\nHost: u@x\r\n\r\n", 400},
        {"host_bad_port", "GET / HTTP/1.1\r\nHost: x:99999\r\n\r\n", 400},
        // request line
        {"bad_method", with_host("G(T / HTTP/1.1"), 400},
        {"space_in_target", with_host("GET /a b HTTP/1.1"), 400},
        {"high_byte_target", with_host("GET /\xff HTTP/1.1"), 400},
        {"fragment_in_target", with_host("GET /a#b HTTP/1.1"), 400},
        {"asterisk_with_get", with_host("GET * HTTP/1.1"), 400},
        {"double_space", with_host("GET  / HTTP/1.1"), 400},
        {"http2_version", with_host("GET / HTTP/2.0"), 505},
        {"http12_version", with_host("GET / HTTP/1.2"), 505},
        {"malformed_version", with_host("GET / HTTP/1"), 400},
        {"lowercase_version", with_host("GET / http/1.1"), 400},
        // expectations
        {"unknown_expect", with_host("POST / HTTP/1.1", "Expect: teapot\r\nContent-Length: 1\r\n"), 417},
        // chunked bodies (after a valid head)
        {"chunk_size_junk",
         with_host("POST /collect HTTP/1.1", "Transfer-Encoding: chunked\r\n") + "1x\r\na\r\n0\r\n\r\n", 400},
        {"chunk_size_negative",
         with_host("POST /collect HTTP/1.1", "Transfer-Encoding: chunked\r\n") + "-1\r\na\r\n0\r\n\r\n", 400},
        {"chunk_size_overflow",
         with_host("POST /collect HTTP/1.1", "Transfer-Encoding: chunked\r\n") + "fffffffffffffffffff\r\n",
         400},
        {"chunk_missing_crlf",
         with_host("POST /collect HTTP/1.1", "Transfer-Encoding: chunked\r\n") + "1\r\nab\r\n0\r\n\r\n", 400},
        {"chunk_ext_ctl",
         with_host("POST /collect HTTP/1.1", "Transfer-Encoding: chunked\r\n") +
             std::string("1;a=\"\x01\"\r\na\r\n0\r\n\r\n"),
         400},
        {"chunk_ext_bad",
         with_host("POST /collect HTTP/1.1", "Transfer-Encoding: chunked\r\n") + "1;\"x\r\na\r\n0\r\n\r\n",
         400},
        {"trailer_host",
         with_host("POST /collect HTTP/1.1", "Transfer-Encoding: chunked\r\n") +
             "1\r\na\r\n0\r\nHost: evil\r\n\r\n",
         400},
        {"trailer_bad_syntax",
         with_host("POST /collect HTTP/1.1", "Transfer-Encoding: chunked\r\n") +
             "1\r\na\r\n0\r\nX y: 1\r\n\r\n",
         400},
    };
}

void echo_handler(nodus::request req, nodus::response res) {
    if (req.path() == "/collect") {
        req.body(1 << 20, [res](std::error_code ec, std::string body) mutable {
            if (!ec) res.end(body);
        });
        return;
    }
    if (req.path() == "/echo") {
        req.on_data([res](std::string_view chunk) mutable { res.write(chunk); });
        req.on_end([res]() mutable { res.end(); });
        return;
    }
    res.end(std::string(req.method()) + " " + std::string(req.target()));
}

} // namespace

TEST(bad_input, each_case_gets_its_status_and_a_close_without_disturbing_others) {
    test_server srv{echo_handler};
    client bystander{srv.port()};
    bystander.send("GET /before HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(bystander.read_response());
    for (auto& c : cases()) {
        SCOPED_TRACE(c.name);
        client cl{srv.port()};
        cl.send(c.request);
        auto raw = cl.read_until_close(); // returns only once the server closed
        EXPECT_EQ(nodus::test::status_of(raw), c.status) << raw;
        EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos) << raw;
        // The bystander's keep-alive connection is still served.
        bystander.send("GET /between HTTP/1.1\r\nHost: x\r\n\r\n");
        auto r = bystander.read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body, "GET /between");
    }
}

TEST(bad_input, smuggled_request_behind_te_and_cl_is_never_executed) {
    test_server srv{echo_handler};
    client cl{srv.port()};
    cl.send(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
    auto raw = cl.read_until_close();
    EXPECT_EQ(nodus::test::status_of(raw), 400);
    EXPECT_EQ(raw.find("/smuggled"), std::string::npos);
    EXPECT_EQ(raw.find("HTTP/1.1", 1), std::string::npos) << "exactly one response";
    EXPECT_EQ(srv.requests(), 0u);
}

TEST(bad_input, empty_lines_before_the_request_line_are_ignored) {
    test_server srv{echo_handler};
    client cl{srv.port()};
    cl.send("\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = cl.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "GET /ok");
}

TEST(bad_input, valid_but_unusual_requests_are_accepted) {
    test_server srv{echo_handler};
    const std::pair<std::string, std::string> ok[] = {
        {"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "OPTIONS *"},
        {"GET http://x/abs?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", "GET http://x/abs?q=1"},
        {"GET / HTTP/1.1\r\nHost: [::1]:8080\r\nX-Obs: caf\xc3\xa9\r\n\r\n", "GET /"},
        {"GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Tab: a\tb\r\n\r\n", "GET /"},
        {"PROPFIND /d HTTP/1.1\r\nHost: x\r\n\r\n", "PROPFIND /d"},
        {"GET /x HTTP/1.0\r\n\r\n", "GET /x"},
    };
    for (auto& [req, body] : ok) {
        SCOPED_TRACE(req);
        client cl{srv.port()};
        cl.send(req);
        auto r = cl.read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body, body);
    }
}

TEST(bad_input, malformed_chunk_after_a_streamed_response_began_closes_the_connection) {
    test_server srv{echo_handler};
    client cl{srv.port()};
    cl.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n");
    auto r = cl.read_response(true); // the echo's head is out
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    cl.send("zz\r\n"); // not a chunk size
    EXPECT_TRUE(cl.closed_within(std::chrono::milliseconds(2000)));
    EXPECT_EQ(cl.pending().find("0\r\n\r\n"), std::string::npos) << "the body must not look complete";
}

// A handler that answers without reading the body: when the bytes already received show the
// body's framing is invalid, the client gets 400, never the handler's 200.
TEST(bad_input, malformed_chunked_body_wins_over_an_answer_given_without_reading_it) {
    test_server srv{echo_handler};
    for (const char* method : {"GET", "POST", "HEAD"}) {
        SCOPED_TRACE(method);
        client cl{srv.port()};
        cl.send(std::string(method) + " / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        auto raw = cl.read_until_close();
        EXPECT_EQ(nodus::test::status_of(raw), 400) << raw;
        EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos) << raw;
        EXPECT_EQ(raw.find("HTTP/1.1", 1), std::string::npos) << "exactly one response: " << raw;
    }
}

TEST(bad_input, malformed_body_wins_over_a_streamed_answer_that_has_not_left) {
    test_server srv{echo_handler};
    client cl{srv.port()};
    // The echo writes the first chunk back at once; the bad chunk size is in the same read.
    cl.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\nzz\r\n");
    auto raw = cl.read_until_close();
    EXPECT_EQ(nodus::test::status_of(raw), 400) << raw;
    EXPECT_EQ(raw.find("HTTP/1.1", 1), std::string::npos) << "exactly one response: " << raw;
}

TEST(bad_input, malformed_body_wins_over_an_answer_from_a_timer) {
    test_server srv{[](nodus::request, nodus::response res) {
        nodus::set_timeout(std::chrono::milliseconds(50), [res] { res.end("late\n"); });
    }};
    client cl{srv.port()};
    cl.send("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nzz\r\n");
    auto raw = cl.read_until_close();
    EXPECT_EQ(nodus::test::status_of(raw), 400) << raw;
}

TEST(bad_input, a_valid_unread_body_keeps_the_answer) {
    test_server srv{echo_handler};
    client cl{srv.port()};
    cl.send(
        "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"
        "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = cl.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "GET /");
    r = cl.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "GET /next");
}
