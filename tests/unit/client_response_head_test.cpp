// The client's response head parser (framework/src/client/detail/response_head.hpp).
#include "client/detail/response_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cd = nodus::client::detail;

namespace {

// The reason a complete head is refused, or "" when accepted.
std::string verdict(std::string_view head, bool head_request = false, cd::response_head* out = nullptr) {
    std::size_t scanned = 0;
    const char* why = nullptr;
    const auto end = cd::find_head_end(head, scanned, why);
    if (why) return why;
    if (end != head.size()) return "incomplete";
    cd::response_head h;
    auto r = cd::parse_response_head(head, head_request, h);
    if (out) *out = h;
    return r ? r : "";
}

} // namespace

TEST(client_response_head, accepts_a_plain_head_and_collects_fields) {
    cd::response_head h;
    ASSERT_EQ(verdict("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b c \t\r\n\r\n", false, &h), "");
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.version, 11);
    EXPECT_EQ(h.reason, "OK");
    ASSERT_EQ(h.fields.size(), 2u);
    EXPECT_EQ(h.fields[1].name, "X-A");
    EXPECT_EQ(h.fields[1].value, "b c");
    EXPECT_EQ(h.body, cd::framing::length);
    EXPECT_EQ(h.content_length, 5u);
    EXPECT_TRUE(h.keep_alive);
}

TEST(client_response_head, framing_follows_rfc_9112_section_6_3) {
    cd::response_head h;
    ASSERT_EQ(verdict("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, &h), "");
    EXPECT_EQ(h.body, cd::framing::chunked);
    ASSERT_EQ(verdict("HTTP/1.1 200 OK\r\n\r\n", false, &h), "");
    EXPECT_EQ(h.body, cd::framing::until_close);
    ASSERT_EQ(verdict("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true, &h), "");
    EXPECT_EQ(h.body, cd::framing::none) << "a response to HEAD has no body";
    for (const char* s :
         {"HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\n",
          "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"}) {
        ASSERT_EQ(verdict(s, false, &h), "") << s;
        EXPECT_EQ(h.body, cd::framing::none) << s;
    }
    ASSERT_EQ(verdict("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n", false, &h), "");
    EXPECT_EQ(h.content_length, 7u);
}

TEST(client_response_head, keep_alive_from_version_and_connection) {
    cd::response_head h;
    ASSERT_EQ(verdict("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, &h), "");
    EXPECT_FALSE(h.keep_alive);
    ASSERT_EQ(verdict("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, &h), "");
    EXPECT_FALSE(h.keep_alive);
    ASSERT_EQ(verdict("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", false, &h),
              "");
    EXPECT_TRUE(h.keep_alive);
    EXPECT_EQ(h.version, 10);
}

TEST(client_response_head, status_line_is_strict) {
    EXPECT_EQ(verdict("HTTP/1.1 200\r\n\r\n"), "") << "no reason phrase";
    EXPECT_EQ(verdict("HTTP/1.1 200 \r\n\r\n"), "") << "an empty reason phrase";
    EXPECT_EQ(verdict("HTTP/2.0 200 OK\r\n\r\n"), "unsupported HTTP version");
    EXPECT_EQ(verdict("HTTP/1.1 20 OK\r\n\r\n"), "bad status code");
    EXPECT_EQ(verdict("HTTP/1.1 099 OK\r\n\r\n"), "bad status code");
    EXPECT_EQ(verdict("HTTP/1.1 600 OK\r\n\r\n"), "bad status code");
    EXPECT_EQ(verdict("HTTP/1.1  200 OK\r\n\r\n"), "bad status code");
    EXPECT_EQ(verdict("http/1.1 200 OK\r\n\r\n"), "bad status line");
    EXPECT_EQ(verdict("HTTP/1.1 200OK\r\n\r\n"), "bad status line");
    EXPECT_EQ(verdict("\r\nHTTP/1.1 200 OK\r\n\r\n"), "bad status line");
    EXPECT_EQ(verdict(std::string("HTTP/1.1 200 O\0K\r\n\r\n", 20)), "bad reason phrase");
}

TEST(client_response_head, field_lines_are_strict) {
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nX : a\r\n\r\n"), "bad field name");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nX\r\n\r\n"), "field line without a colon");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\n: a\r\n\r\n"), "bad field name");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nX: a\r\n\tb\r\n\r\n"), "obs-fold");
    EXPECT_EQ(verdict(std::string("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 27)), "bad field value");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"), "bare CR");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n"), "bare LF");
    std::string many = "HTTP/1.1 200 OK\r\n";
    for (std::size_t i = 0; i <= cd::max_head_fields; ++i) many += "X: y\r\n";
    EXPECT_EQ(verdict(many + "\r\n"), "too many header fields");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nX: " + std::string(cd::max_head_bytes, 'a') + "\r\n\r\n"),
              "header too large");
}

TEST(client_response_head, framing_attacks_are_refused) {
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
              "Content-Length with Transfer-Encoding");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
              "differing Content-Lengths");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n"), "differing Content-Lengths");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n"), "bad Content-Length");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n"), "bad Content-Length");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n"), "bad Content-Length");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n"),
              "bad Content-Length");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"),
              "chunked applied twice");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"),
              "unknown transfer coding");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n"), "unknown transfer coding");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n"), "empty Transfer-Encoding");
    EXPECT_EQ(verdict("HTTP/1.1 200 OK\r\nTransfer-Encoding: chun\"ked\r\n\r\n"), "bad Transfer-Encoding");
    EXPECT_EQ(verdict("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
              "Transfer-Encoding in an HTTP/1.0 response");
}

TEST(client_response_head, find_head_end_resumes_where_it_stopped) {
    const std::string head = "HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody";
    for (std::size_t split = 0; split <= head.size(); ++split) {
        std::size_t scanned = 0;
        const char* why = nullptr;
        auto end = cd::find_head_end(std::string_view(head).substr(0, split), scanned, why);
        ASSERT_EQ(why, nullptr);
        if (end == 0) end = cd::find_head_end(head, scanned, why);
        EXPECT_EQ(end, head.size() - 4) << "split at " << split;
    }
}

TEST(client_response_head, trailers_split_into_fields) {
    std::vector<nodus::header_field> t;
    cd::split_trailers("X-A: 1\r\nX-B:2 \r\n", t);
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[0].name, "X-A");
    EXPECT_EQ(t[1].value, "2");
}
