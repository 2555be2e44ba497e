// The bytes a connection sends for a response, without a socket.
#include "http/detail/exchange.hpp"
#include "http/detail/response_writer.hpp"

#include <gtest/gtest.h>

#include <string>

using nodus::detail::exchange;
using nodus::detail::framing;
using nodus::http::detail::reason;
using nodus::http::detail::response_writer;
using nodus::http::detail::server_fields;

namespace {

const server_fields srv{"Thu, 26 Nov 2026 13:45:31 GMT", "Server: nodus\r\n"};

// An exchange whose request was `version` (10 or 11).
void start(exchange& ex, int version = 11) {
    nodus::http::detail::head_info info;
    info.version = version;
    ex.req().assign("GET / HTTP/1.1\r\n\r\n", info);
}

} // namespace

TEST(response_writer, reason_phrases) {
    EXPECT_EQ(reason(200), "OK");
    EXPECT_EQ(reason(404), "Not Found");
    EXPECT_EQ(reason(413), "Payload Too Large");
    EXPECT_EQ(reason(422), "Unprocessable Content");
    EXPECT_EQ(reason(431), "Request Header Fields Too Large");
    EXPECT_EQ(reason(299), "Unknown");
    EXPECT_EQ(reason(999), "Unknown");
}

TEST(response_writer, whole_body_gets_a_content_length) {
    exchange ex;
    start(ex);
    ex.res().set("Content-Type", "text/plain");
    response_writer w;
    EXPECT_TRUE(w.head(ex, srv, true, true, 5));
    EXPECT_TRUE(w.body(ex, "hello", true));
    EXPECT_EQ(w.unsent(),
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Thu, 26 Nov 2026 13:45:31 GMT\r\n"
              "Server: nodus\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_TRUE(ex.res().ended());
    EXPECT_EQ(ex.res().body_bytes(), 5u);
}

TEST(response_writer, streamed_body_is_chunked_on_http11) {
    exchange ex;
    start(ex);
    ex.res().set("Date", "x");
    response_writer w;
    EXPECT_TRUE(w.head(ex, {srv.date, ""}, true, false, 0));
    EXPECT_EQ(ex.res().body_framing(), framing::chunked);
    EXPECT_STREQ(to_string(ex.res().body_framing()), "chunked");
    w.body(ex, "abc", false);
    w.body(ex, "", true);
    EXPECT_EQ(w.unsent(),
              "HTTP/1.1 200 OK\r\nDate: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
}

TEST(response_writer, streamed_body_closes_on_http10) {
    exchange ex;
    start(ex, 10);
    response_writer w;
    EXPECT_FALSE(w.head(ex, srv, true, false, 0));
    EXPECT_EQ(ex.res().body_framing(), framing::until_close);
    EXPECT_NE(w.unsent().find("Connection: close\r\n\r\n"), std::string_view::npos);
    EXPECT_FALSE(w.body(ex, "x", true));
}

TEST(response_writer, http10_keep_alive_is_said) {
    exchange ex;
    start(ex, 10);
    response_writer w;
    EXPECT_TRUE(w.head(ex, srv, true, true, 0));
    EXPECT_NE(w.unsent().find("Connection: keep-alive\r\n\r\n"), std::string_view::npos);
}

TEST(response_writer, body_past_the_declared_length_is_cut_and_closes) {
    exchange ex;
    start(ex);
    ex.res().set("Content-Length", "3");
    response_writer w;
    EXPECT_FALSE(w.head(ex, srv, true, true, 5)); // disagrees: the head says close
    EXPECT_FALSE(w.body(ex, "hello", true));
    auto out = std::string{w.unsent()};
    EXPECT_NE(out.find("Content-Length: 3\r\nConnection: close\r\n\r\nhel"), std::string::npos);
    EXPECT_EQ(out.substr(out.size() - 3), "hel");
}

TEST(response_writer, no_body_for_204_and_head) {
    exchange ex;
    start(ex);
    ex.res().set_status(204);
    response_writer w;
    w.head(ex, srv, true, true, 4);
    w.body(ex, "body", true);
    EXPECT_EQ(w.unsent().find("Content-Length"), std::string_view::npos);
    EXPECT_EQ(w.unsent().find("body"), std::string_view::npos);
    EXPECT_EQ(w.unsent().substr(w.unsent().size() - 4), "\r\n\r\n");
}

TEST(response_writer, application_connection_close_is_honoured) {
    exchange ex;
    start(ex);
    ex.res().set("Connection", "Close");
    response_writer w;
    EXPECT_FALSE(w.head(ex, srv, true, true, 0));
    EXPECT_NE(w.unsent().find("Connection: close\r\n"), std::string_view::npos);
}

TEST(response_writer, reject_is_a_complete_closing_answer) {
    response_writer w;
    w.reject(431, srv);
    EXPECT_EQ(w.unsent(),
              "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n"
              "Content-Length: 32\r\nConnection: close\r\nDate: Thu, 26 Nov 2026 13:45:31 GMT\r\n"
              "Server: nodus\r\n\r\nRequest Header Fields Too Large\n");
}

TEST(response_writer, sent_bytes_leave_the_buffer) {
    response_writer w;
    w.append("abcdef");
    w.sent(2);
    EXPECT_EQ(w.unsent(), "cdef");
    EXPECT_EQ(w.buffered(), 4u);
    w.all_sent();
    EXPECT_EQ(w.buffered(), 0u);
}
