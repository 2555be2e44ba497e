// Server-Sent Events (`nodus::event_stream`) on real loopback sockets: the bytes of each
// event, keep-alive comments, Last-Event-ID, backpressure and the end of the stream.
#include "support/http_client.hpp"
#include "support/read_until.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include <nodus/loop/loop.hpp>
#include <nodus/sse/event_stream.hpp>

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using nodus::event_stream;
using nodus::request;
using nodus::response;
using nodus::sse_event;
using nodus::test::client;
using nodus::test::read_until;
using nodus::test::test_server;
using nodus::test::wait_until;

// The head, then each event as the HTML standard's parser reads it, sent as it is written.
TEST(sse, events_are_sent_as_written) {
    test_server srv{[](request req, response res) {
        event_stream es{req, res, {.keep_alive = 0ms}};
        es.send({.data = "hello", .event = "greeting", .id = "1"});
        es.send("line one\nline two\r\nline three\rline four");
        es.send({.data = "", .retry = 2500ms});
        es.comment("a note");
        nodus::set_timeout(20ms, [es] { es.send({.data = "later", .id = "2"}); });
    }};
    client c{srv.port()};
    c.send("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
    std::string got;
    read_until(c.fd(), got, "data: later\n\n");
    EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
    EXPECT_NE(got.find("\r\nContent-Type: text/event-stream\r\n"), std::string::npos) << got;
    EXPECT_NE(got.find("\r\nCache-Control: no-cache\r\n"), std::string::npos) << got;
    EXPECT_NE(got.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos) << got;
    EXPECT_NE(got.find("event: greeting\nid: 1\ndata: hello\n\n"), std::string::npos) << got;
    EXPECT_NE(got.find("data: line one\ndata: line two\ndata: line three\ndata: line four\n\n"),
              std::string::npos)
        << got;
    EXPECT_NE(got.find("retry: 2500\ndata: \n\n"), std::string::npos) << got;
    EXPECT_NE(got.find(": a note\n\n"), std::string::npos) << got;
    EXPECT_NE(got.find("id: 2\ndata: later\n\n"), std::string::npos) << got;
}

// The browser's Last-Event-ID reaches the handler; the start-up retry is sent first.
TEST(sse, last_event_id_and_retry) {
    std::atomic<bool> seen{false};
    test_server srv{[&](request req, response res) {
        event_stream es{req, res, {.keep_alive = 0ms, .retry = 3000ms}};
        seen = es.last_event_id() == "41";
        es.send({.data = "resumed", .id = "42"});
    }};
    client c{srv.port()};
    c.send("GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 41\r\n\r\n");
    std::string got;
    read_until(c.fd(), got, "data: resumed\n\n");
    EXPECT_TRUE(seen.load());
    auto retry = got.find("retry: 3000\n");
    auto event = got.find("id: 42\ndata: resumed\n\n");
    ASSERT_NE(retry, std::string::npos) << got;
    ASSERT_NE(event, std::string::npos) << got;
    EXPECT_LT(retry, event);
}

// An idle stream gets a comment line each keep-alive period, so proxies keep it open.
TEST(sse, idle_stream_gets_keep_alive_comments) {
    test_server srv{[](request req, response res) { event_stream{req, res, {.keep_alive = 30ms}}; }};
    client c{srv.port()};
    c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string got;
    read_until(c.fd(), got, ":\n\n");
    auto first = got.find(":\n\n");
    ASSERT_NE(first, std::string::npos) << got;
    read_until(c.fd(), got, ":\n\n", first + 3);
    EXPECT_NE(got.find(":\n\n", first + 3), std::string::npos) << "only one keep-alive comment: " << got;
}

// Fields that would split an event are refused before anything is sent.
TEST(sse, event_and_id_with_line_breaks_are_refused) {
    std::atomic<int> refused{0};
    test_server srv{[&](request req, response res) {
        event_stream es{req, res, {.keep_alive = 0ms}};
        for (sse_event e : {sse_event{.data = "x", .event = "a\nb"}, sse_event{.data = "x", .id = "1\r2"},
                            sse_event{.data = "x", .id = std::string_view("1\0", 2)}}) {
            try {
                es.send(e);
            } catch (const std::invalid_argument&) {
                ++refused;
            }
        }
        es.send("after");
    }};
    client c{srv.port()};
    c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string got;
    read_until(c.fd(), got, "data: after\n\n");
    EXPECT_EQ(refused.load(), 3);
    EXPECT_EQ(got.find("data: x"), std::string::npos) << got;
    EXPECT_NE(got.find("data: after\n\n"), std::string::npos) << got;
}

// The client going away closes the stream: on_close runs, send() returns false, and the
// exchange is released (test_server's destructor fails on a leak).
TEST(sse, client_gone_closes_the_stream) {
    std::atomic<bool> closed{false};
    std::atomic<bool> send_after_close{true};
    test_server srv{[&](request req, response res) {
        event_stream es{req, res, {.keep_alive = 10ms}};
        es.on_close([&closed, &send_after_close, es] {
            send_after_close = es.send("too late");
            closed = true;
        });
        es.send("first");
    }};
    {
        client c{srv.port()};
        c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
        std::string got;
        read_until(c.fd(), got, "data: first\n\n");
        ASSERT_NE(got.find("data: first"), std::string::npos);
    }
    EXPECT_TRUE(wait_until([&] { return closed.load(); }));
    EXPECT_FALSE(send_after_close.load());
    EXPECT_TRUE(wait_until([&] { return srv.connections() == 0; }));
}

// end() finishes the response: the chunked body ends and the connection can be reused.
TEST(sse, end_finishes_the_response) {
    test_server srv{[](request req, response res) {
        if (req.path() == "/plain") {
            res.end("plain\n");
            return;
        }
        event_stream es{req, res, {.keep_alive = 0ms}};
        es.send("only");
        es.end();
        EXPECT_TRUE(es.closed());
        EXPECT_FALSE(es.send("after end"));
    }};
    client c{srv.port()};
    auto r = c.exchange("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "data: only\n\n");
    auto again = c.get("/plain");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->body, "plain\n");
}

// A slow reader: send() reports backpressure and on_drain says when to go on; nothing is lost.
TEST(sse, backpressure_is_reported_and_drains) {
    std::atomic<int> sent{0};
    std::atomic<bool> saw_false{false};
    test_server srv{[&](request req, response res) {
        event_stream es{req, res, {.keep_alive = 0ms}};
        std::string payload(8192, 'x');
        auto pump = std::make_shared<std::function<void()>>();
        *pump = [&, es, payload, weak = std::weak_ptr<std::function<void()>>(pump)] {
            while (sent < 64) {
                ++sent;
                if (!es.send(payload)) {
                    saw_false = true;
                    if (auto p = weak.lock()) es.on_drain(*p);
                    return;
                }
            }
            es.end();
        };
        es.on_close([pump] {}); // keeps the pump alive while the stream is open
        (*pump)();
    }};
    client c{srv.port()};
    c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(wait_until([&] { return saw_false.load(); })) << "the high-water mark was never reached";
    c.set_timeout(10s);
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(sent.load(), 64);
    EXPECT_EQ(r->body.size(), 64u * (6 + 8192 + 2));
}

// HEAD gets the head of a stream and nothing else.
TEST(sse, head_request_gets_only_the_head) {
    test_server srv{[](request req, response res) {
        event_stream es{req, res};
        EXPECT_TRUE(es.closed());
        EXPECT_FALSE(es.send("x"));
    }};
    client c{srv.port()};
    auto r = c.exchange("HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n", true);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "text/event-stream");
    EXPECT_TRUE(r.body.empty());
}
