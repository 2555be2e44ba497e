// The HTTP/1.1 pipeline on real loopback sockets: exact bytes and statuses.
#include "support/wait_until.hpp"
#include "support/http_client.hpp"
#include "support/test_server.hpp"

#include <nodus/http/error.hpp>
#include <nodus/loop/loop.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <memory>
#include <thread>

using namespace std::chrono_literals;
using nodus::request;
using nodus::response;
using nodus::test::client;
using nodus::test::exchange;
using nodus::test::roundtrip;
using nodus::test::status_of;
using nodus::test::test_server;
using nodus::test::wait_until;

namespace {

std::uint64_t number(std::string_view s, std::uint64_t fallback) {
    std::uint64_t v = fallback;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

struct observed {
    std::atomic<int> aborted{0};
    std::atomic<int> closed{0};
    std::atomic<std::size_t> max_buffered{0};
    std::atomic<std::uint64_t> received{0};
    std::atomic<bool> write_after_end_ok{true};
    std::atomic<bool> end_twice_ok{true};
    std::atomic<bool> set_after_send_ok{true};
};

void pump(response res, std::shared_ptr<std::uint64_t> left, observed* obs) {
    static const std::string block(65536, 'x');
    while (*left > 0) {
        auto n = std::min<std::uint64_t>(*left, block.size());
        *left -= n;
        bool ok = res.write(std::string_view(block).substr(0, n));
        if (res.buffered() > obs->max_buffered) obs->max_buffered = res.buffered();
        if (!ok) {
            if (res.aborted() || res.finished()) return;
            res.on_drain([res, left, obs] { pump(res, left, obs); });
            return;
        }
    }
    res.end();
}

nodus::handler demo(observed& obs) {
    return [&obs](request req, response res) {
        auto path = req.path();
        if (path == "/") {
            res.set("Content-Type", "text/plain");
            res.end("Hello World\n");
        } else if (path == "/target") {
            res.end(std::string(req.method()) + " " + std::string(req.target()));
        } else if (path == "/echo") {
            req.on_data([req, res](std::string_view chunk) mutable {
                if (!res.write(chunk)) {
                    req.pause();
                    res.on_drain([req]() mutable { req.resume(); });
                }
            });
            req.on_end([res]() mutable { res.end(); });
        } else if (path == "/upload") {
            // Counts the body, and records an abort.
            auto& o = obs;
            req.on_data([&o](std::string_view chunk) { o.received += chunk.size(); });
            req.on_error([&o](std::error_code ec) {
                if (ec == nodus::errc::aborted) ++o.aborted;
            });
            res.on_close([&o] { ++o.closed; });
            req.on_end([res]() mutable { res.end("done\n"); });
        } else if (path == "/collect") {
            req.body(number(req.query("limit"), 1 << 20),
                     [res](std::error_code ec, std::string body) mutable {
                         if (ec) return;
                         res.end("got " + std::to_string(body.size()) + ": " + body.substr(0, 16));
                     });
        } else if (path == "/throw") {
            throw std::runtime_error("boom");
        } else if (path == "/drop") {
            // returns without ending: the server answers 500
        } else if (path == "/delay") {
            auto ms = number(req.query("ms"), 100);
            nodus::set_timeout(std::chrono::milliseconds(ms), [res]() mutable { res.end("late\n"); });
        } else if (path == "/stream") {
            res.set("Content-Type", "application/octet-stream");
            pump(res, std::make_shared<std::uint64_t>(number(req.query("bytes"), 1 << 20)), &obs);
        } else if (path == "/chunks") {
            res.write("abc");
            res.write("");
            res.write("defgh");
            res.end();
        } else if (path == "/misuse") {
            res.set("X-A", "1");
            res.write("body");
            obs.set_after_send_ok = res.set("X-B", "2");
            res.end();
            obs.write_after_end_ok = res.write("more");
            obs.end_twice_ok = res.end("again");
        } else if (path == "/status") {
            res.status(static_cast<int>(number(req.query("code"), 200)));
            res.end();
        } else if (path == "/query") {
            std::string out;
            for (auto& p : req.query_params()) out += std::string(p.name) + "=" + std::string(p.value) + ";";
            res.end(out);
        } else if (path == "/headers") {
            std::string out;
            for (auto& h : req.headers()) out += std::string(h.name) + ":" + std::string(h.value) + "\n";
            out += "host=" + std::string(req.header("HOST")) + "\n";
            out += "remote=" + std::string(req.remote_address()) + "\n";
            res.end(out);
        } else {
            res.status(404).end("Not Found\n");
        }
    };
}

nodus::http_config small_limits() {
    nodus::http_config cfg;
    cfg.max_header_bytes = 1024;
    cfg.max_headers = 10;
    cfg.max_url_bytes = 256;
    cfg.max_body_bytes = 4096;
    return cfg;
}

// A client that keeps asking on one connection: a request every 50 ms (idle 50 ms between
// them) for `how_long`; `after(n)` runs after each pause, n answers so far. The count.
template <class After>
int keep_asking(client& c, std::chrono::milliseconds how_long, After after) {
    const auto until = std::chrono::steady_clock::now() + how_long;
    int n = 0;
    while (std::chrono::steady_clock::now() < until) {
        auto r = c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        if (r.status != 200) {
            ADD_FAILURE() << "request " << n << ": status " << r.status;
            return n;
        }
        ++n;
        std::this_thread::sleep_for(50ms); // the client's pace, not a wait for an event
        if (!after(n)) return n;
    }
    return n;
}

} // namespace

TEST(http, hello_world_exact_bytes) {
    observed obs;
    test_server srv{demo(obs)};
    auto r = exchange(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.reason, "OK");
    EXPECT_EQ(r.header("Content-Type"), "text/plain");
    EXPECT_EQ(r.header("Content-Length"), "12");
    EXPECT_EQ(r.header("Server"), "nodus");
    EXPECT_EQ(r.header("Date").size(), 29u); // "Thu, 26 Nov 2026 13:45:31 GMT"
    EXPECT_FALSE(r.has_header("Connection"));
    EXPECT_EQ(r.body, "Hello World\n");
}

TEST(http, keep_alive_reuses_the_connection) {
    observed obs;
    test_server srv{demo(obs)};
    client c{srv.port()};
    for (int i = 0; i < 5; ++i) {
        auto r = c.exchange("GET /target?i=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_EQ(r.body, "GET /target?i=" + std::to_string(i));
    }
    EXPECT_EQ(srv.connections(), 1u);
    EXPECT_EQ(srv.requests(), 5u);
}

TEST(http, three_pipelined_requests_answer_in_order) {
    observed obs;
    test_server srv{demo(obs)};
    client c{srv.port()};
    // The first is slow: the others must wait behind it.
    auto a = c.exchange(
        "GET /delay?ms=150 HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /target?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /target?n=3 HTTP/1.1\r\nHost: x\r\n\r\n");
    auto b = c.read_response();
    auto d = c.read_response();
    ASSERT_TRUE(b && d);
    EXPECT_EQ(a.body, "late\n");
    EXPECT_EQ(b->body, "GET /target?n=2");
    EXPECT_EQ(d->body, "GET /target?n=3");
}

TEST(http, pipelined_responses_leave_in_one_write) {
    observed obs;
    test_server srv{demo(obs)};
    client c{srv.port()};
    std::string req;
    for (int i = 0; i < 16; ++i) req += "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    c.send(req);
    for (int i = 0; i < 16; ++i) {
        auto r = c.read_response();
        ASSERT_TRUE(r) << i;
        EXPECT_EQ(r->body, "Hello World\n");
    }
}

TEST(http, http10_closes_unless_keep_alive) {
    observed obs;
    test_server srv{demo(obs)};
    auto raw = roundtrip(srv.port(), "GET / HTTP/1.0\r\n\r\n");
    EXPECT_EQ(status_of(raw), 200);
    EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos);
    EXPECT_TRUE(raw.ends_with("Hello World\n"));

    client c{srv.port()};
    auto r = c.exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(r.header("Connection"), "keep-alive");
    auto r2 = c.exchange("GET /target HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(r2.body, "GET /target");
}

TEST(http, connection_close_is_honoured) {
    observed obs;
    test_server srv{demo(obs)};
    auto raw = roundtrip(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(raw), 200);
    EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos);
}

TEST(http, chunked_upload_is_echoed) {
    observed obs;
    test_server srv{demo(obs)};
    client c{srv.port()};
    c.send(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n");
    ASSERT_TRUE(c.wait_read_by_server()); // so the rest arrives in a read of its own
    auto r = c.exchange("1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.chunked);
    EXPECT_EQ(r.body, "hello world!");
    // and the connection goes on
    EXPECT_EQ(c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").body, "Hello World\n");
}

TEST(http, content_length_upload_is_collected) {
    observed obs;
    test_server srv{demo(obs)};
    client c{srv.port()};
    c.send("POST /collect HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello");
    ASSERT_TRUE(c.wait_read_by_server()); // so the rest arrives in a read of its own
    EXPECT_EQ(c.exchange(" world").body, "got 11: hello world");
}

TEST(http, collect_over_its_limit_is_413) {
    observed obs;
    test_server srv{demo(obs)};
    auto raw = roundtrip(srv.port(),
                         "POST /collect?limit=4 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n");
    EXPECT_EQ(status_of(raw), 413);
}

TEST(http, expect_100_continue_when_the_body_is_read) {
    observed obs;
    test_server srv{demo(obs)};
    client c{srv.port()};
    auto interim =
        c.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(interim.status, 100);
    auto r = c.exchange("ping");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "ping");
}

TEST(http, expect_100_continue_not_sent_when_answered_without_reading) {
    observed obs;
    test_server srv{demo(obs)};
    auto raw = roundtrip(
        srv.port(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(status_of(raw), 200);
    EXPECT_EQ(raw.find("100 Continue"), std::string::npos);
    EXPECT_NE(raw.find("Connection: close"), std::string::npos);
}

TEST(http, head_has_length_but_no_body) {
    observed obs;
    test_server srv{demo(obs)};
    client c{srv.port()};
    auto r = c.exchange("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", true);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Length"), "12");
    auto r2 = c.exchange("GET /target HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r2.body, "GET /target"); // no stray body bytes came first
}

TEST(http, streamed_response_uses_chunked_coding) {
    observed obs;
    test_server srv{demo(obs)};
    auto raw = roundtrip(srv.port(), "GET /chunks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(raw.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
    EXPECT_TRUE(raw.ends_with("\r\n\r\n3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n")) << raw;
}

TEST(http, streamed_response_to_http10_is_close_delimited) {
    observed obs;
    test_server srv{demo(obs)};
    auto raw = roundtrip(srv.port(), "GET /chunks HTTP/1.0\r\n\r\n");
    EXPECT_EQ(raw.find("Transfer-Encoding"), std::string::npos);
    EXPECT_TRUE(raw.ends_with("\r\n\r\nabcdefgh")) << raw;
}

TEST(http, misuse_is_reported_not_undefined) {
    observed obs;
    test_server srv{demo(obs)};
    auto r = exchange(srv.port(), "GET /misuse HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.body, "body");
    EXPECT_EQ(r.header("X-A"), "1");
    EXPECT_FALSE(r.has_header("X-B"));
    EXPECT_FALSE(obs.set_after_send_ok);
    EXPECT_FALSE(obs.write_after_end_ok);
    EXPECT_FALSE(obs.end_twice_ok);
}

TEST(http, status_without_body) {
    observed obs;
    test_server srv{demo(obs)};
    client c{srv.port()};
    auto r = c.exchange("GET /status?code=204 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 204);
    EXPECT_FALSE(r.has_header("Content-Length"));
    EXPECT_FALSE(r.has_header("Transfer-Encoding"));
    auto r2 = c.exchange("GET /target HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r2.body, "GET /target");
}

TEST(http, query_and_headers_are_exposed) {
    observed obs;
    test_server srv{demo(obs)};
    client c{srv.port()};
    auto r = c.exchange("GET /query?a=1&b=hello+world&c=%41%42&d&e=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.body, "a=1;b=hello world;c=AB;d=;e=%zz;");
    auto r2 = c.exchange("GET /headers HTTP/1.1\r\nHost: example\r\nX-Rep: 1\r\nx-rep: 2\r\n\r\n");
    EXPECT_EQ(r2.body, "Host:example\nX-Rep:1\nx-rep:2\nhost=example\nremote=127.0.0.1\n");
}

TEST(http, handler_exception_is_500_and_server_goes_on) {
    observed obs;
    test_server srv{demo(obs)};
    EXPECT_EQ(status_of(roundtrip(srv.port(), "GET /throw HTTP/1.1\r\nHost: x\r\n\r\n")), 500);
    EXPECT_EQ(exchange(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

TEST(http, dropped_response_is_500) {
    observed obs;
    test_server srv{demo(obs)};
    EXPECT_EQ(status_of(roundtrip(srv.port(), "GET /drop HTTP/1.1\r\nHost: x\r\n\r\n")), 500);
}

TEST(http, response_from_a_timer_while_50_others_are_served) {
    observed obs;
    test_server srv{demo(obs)};
    client slow{srv.port()};
    slow.send("GET /delay?ms=400 HTTP/1.1\r\nHost: x\r\n\r\n");
    auto start = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<client>> others;
    for (int i = 0; i < 50; ++i) {
        others.push_back(std::make_unique<client>(srv.port()));
        others.back()->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    for (auto& o : others) {
        auto r = o->read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
    }
    auto others_done = std::chrono::steady_clock::now() - start;
    EXPECT_LT(others_done, 350ms); // none waited for the timer
    auto r = slow.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "late\n");
    EXPECT_GE(std::chrono::steady_clock::now() - start, 390ms);
}

// Answers to pipelined requests are made a few KiB at a time: the socket takes each batch at
// once here, and the requests already read must then be answered without waiting for a read
// that will never come (the client has sent them all). Before, a pipeline whose answers
// passed high_water_mark stopped there until the header timeout answered 408.
TEST(http, pipelined_requests_past_the_output_limits_are_all_answered) {
    observed obs;
    nodus::http_config cfg;
    cfg.header_timeout_ms = 1500;
    test_server srv{demo(obs), cfg};
    client c{srv.port()};
    std::string req;
    for (int i = 0; i < 100; ++i) req += "GET /stream?bytes=2000 HTTP/1.1\r\nHost: x\r\n\r\n";
    const auto t0 = std::chrono::steady_clock::now();
    c.send(req);
    for (int i = 0; i < 100; ++i) {
        auto r = c.read_response();
        ASSERT_TRUE(r) << i;
        ASSERT_EQ(r->status, 200) << i;
        ASSERT_EQ(r->body, std::string(2000, 'x')) << i;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(cfg.header_timeout_ms));
    EXPECT_EQ(srv.requests(), 100u);
}

TEST(http, slow_reader_does_not_make_the_server_buffer) {
    observed obs;
    nodus::http_config cfg;
    cfg.high_water_mark = 65536;
    cfg.send_timeout_ms = 60000;
    test_server srv{demo(obs), cfg};
    client c{srv.port()};
    c.send("GET /stream?bytes=67108864 HTTP/1.1\r\nHost: x\r\n\r\n");
    // The client reads nothing until the application has been told to wait ...
    EXPECT_TRUE(wait_until([&] { return obs.max_buffered.load() >= cfg.high_water_mark; }));
    // ... which it was with at most one 64 KiB write past the mark.
    EXPECT_LE(obs.max_buffered.load(), cfg.high_water_mark + 65536 + 64);
    // Now read it all: every byte arrives.
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body.size(), 67108864u);
    EXPECT_LE(obs.max_buffered.load(), cfg.high_water_mark + 65536 + 64);
}

TEST(http, client_vanishing_mid_upload_fires_abort_and_frees) {
    observed obs;
    test_server srv{demo(obs)};
    {
        client c{srv.port()};
        c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
        c.send(std::string(1000, 'a'));
        EXPECT_TRUE(wait_until([&] { return obs.received == 1000; }));
    } // closed with 99,000 bytes missing
    EXPECT_TRUE(wait_until([&] { return obs.aborted == 1 && srv.connections() == 0; }));
    EXPECT_EQ(obs.aborted.load(), 1);
    EXPECT_EQ(obs.closed.load(), 1);
    EXPECT_EQ(obs.received.load(), 1000u);
    EXPECT_EQ(srv.connections(), 0u);
}

TEST(http, client_vanishing_mid_download_fires_close) {
    observed obs;
    test_server srv{demo(obs)};
    {
        client c{srv.port()};
        c.send("GET /stream?bytes=67108864 HTTP/1.1\r\nHost: x\r\n\r\n");
        c.read_response().has_value(); // partial read then give up
    }
    EXPECT_TRUE(wait_until([&] { return srv.connections() == 0; }));
}

// ------------------------------------------------------------------ limits

TEST(http_limits, header_section_too_large_is_431) {
    observed obs;
    test_server srv{demo(obs), small_limits()};
    auto raw =
        roundtrip(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
    EXPECT_EQ(status_of(raw), 431);
}

TEST(http_limits, header_section_too_large_before_it_ends_is_431) {
    observed obs;
    test_server srv{demo(obs), small_limits()};
    auto raw =
        roundtrip(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(3000, 'a')); // never ends
    EXPECT_EQ(status_of(raw), 431);
}

TEST(http_limits, too_many_headers_is_431) {
    observed obs;
    test_server srv{demo(obs), small_limits()};
    std::string req = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 11; ++i) req += "X-" + std::to_string(i) + ": y\r\n";
    EXPECT_EQ(status_of(roundtrip(srv.port(), req + "\r\n")), 431);
}

TEST(http_limits, uri_too_long_is_414) {
    observed obs;
    test_server srv{demo(obs), small_limits()};
    auto raw = roundtrip(srv.port(), "GET /" + std::string(300, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_of(raw), 414);
}

TEST(http_limits, body_over_the_limit_is_413) {
    observed obs;
    test_server srv{demo(obs), small_limits()};
    auto raw = roundtrip(srv.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
    EXPECT_EQ(status_of(raw), 413);
}

TEST(http_limits, chunked_body_over_the_limit_is_413) {
    observed obs;
    test_server srv{demo(obs), small_limits()};
    client c{srv.port()};
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    std::string chunk = "1000\r\n" + std::string(4096, 'z') + "\r\n";
    c.send(chunk);
    c.send(chunk);
    EXPECT_EQ(status_of(c.read_until_close()), 413);
}

TEST(http_limits, slowloris_gets_408_and_others_are_served) {
    observed obs;
    auto cfg = small_limits();
    cfg.header_timeout_ms = 400;
    test_server srv{demo(obs), cfg};
    client slow{srv.port()};
    auto start = std::chrono::steady_clock::now();
    std::string req = "GET / HTTP/1.1\r\nHost: x\r\n";
    bool closed = false;
    for (char ch : req) {
        try {
            slow.send(std::string_view(&ch, 1));
        } catch (...) {
            closed = true;
            break;
        }
        // a second client is served normally meanwhile
        EXPECT_EQ(exchange(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
        if (std::chrono::steady_clock::now() - start > 600ms) break;
        std::this_thread::sleep_for(30ms); // the slow client's pace: the point of the test
    }
    auto raw = slow.read_until_close();
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(status_of(raw), 408) << raw << closed;
    EXPECT_GE(took, 380ms);
    EXPECT_LT(took, 1500ms);
}

TEST(http_limits, idle_keep_alive_connection_is_closed) {
    observed obs;
    nodus::http_config cfg;
    cfg.keep_alive_timeout_ms = 200;
    test_server srv{demo(obs), cfg};
    client c{srv.port()};
    EXPECT_EQ(c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closed_within(2000ms));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 150ms);
    EXPECT_LT(took, 1000ms);
    EXPECT_TRUE(c.pending().empty()); // closed silently
}

// The idle timeout counts from the last answer, not from the first: a connection that keeps
// asking is never closed by it, and is closed once it stops asking for that long.
TEST(http_limits, a_busy_keep_alive_connection_outlives_its_idle_timeout) {
    observed obs;
    nodus::http_config cfg;
    cfg.keep_alive_timeout_ms = 300;
    test_server srv{demo(obs), cfg};
    client c{srv.port()};
    const int n = keep_asking(c, 1200ms, [](int) { return true; });
    EXPECT_GE(n, 10);
    EXPECT_EQ(srv.requests(), static_cast<std::uint64_t>(n));
    auto start = std::chrono::steady_clock::now() - 50ms;
    EXPECT_TRUE(c.closed_within(2000ms));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 1000ms);
}

TEST(http_limits, slow_body_gets_408) {
    observed obs;
    nodus::http_config cfg;
    cfg.request_timeout_ms = 300;
    test_server srv{demo(obs), cfg};
    auto raw = roundtrip(srv.port(), "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    EXPECT_EQ(status_of(raw), 408);
}

TEST(http_limits, a_connection_that_sends_nothing_is_closed) {
    observed obs;
    nodus::http_config cfg;
    cfg.header_timeout_ms = 200;
    test_server srv{demo(obs), cfg};
    client c{srv.port()};
    EXPECT_TRUE(c.closed_within(2000ms));
    EXPECT_TRUE(c.pending().empty());
}

TEST(http_stop, graceful_close_finishes_in_flight_requests) {
    observed obs;
    test_server srv{demo(obs)};
    client busy{srv.port()};
    busy.send("GET /delay?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n");
    client idle{srv.port()};
    EXPECT_EQ(idle.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
    ASSERT_TRUE(busy.wait_read_by_server()); // in flight, not merely connected
    srv.close_gracefully();
    EXPECT_TRUE(idle.closed_within(1000ms)); // idle keep-alive closed at once
    auto r = busy.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "late\n");
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(busy.closed_within(1000ms));
}

// ------------------------------------------------------------------ parked idle connections

TEST(http_parking, a_parked_connection_is_served_again) {
    observed obs;
    test_server srv{demo(obs)}; // keep-alive 5 s: idle connections park after 1 s
    client c{srv.port()};
    EXPECT_EQ(c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
    // After one request a connection parks at once ...
    EXPECT_TRUE(wait_until([&] { return srv.parked() == 1; }, 100ms));
    EXPECT_EQ(c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
    // ... after two it is busy, and parks after a second of idleness.
    EXPECT_EQ(srv.parked(), 0u);
    auto idle_since = std::chrono::steady_clock::now();
    EXPECT_TRUE(wait_until([&] { return srv.parked() == 1; }, 3s));
    EXPECT_GE(std::chrono::steady_clock::now() - idle_since, 900ms);
    auto r = c.exchange("GET /headers HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(r.body.find("remote=127.0.0.1"), std::string::npos) << r.body;
    EXPECT_EQ(srv.connections(), 1u);
    EXPECT_EQ(srv.parked(), 0u);
    EXPECT_EQ(srv.requests(), 3u);
}

TEST(http_parking, a_parked_connection_closed_by_the_client_is_freed) {
    observed obs;
    test_server srv{demo(obs)};
    {
        client c{srv.port()};
        EXPECT_EQ(c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
        EXPECT_TRUE(wait_until([&] { return srv.parked() == 1; }, 3s));
        EXPECT_EQ(srv.connections(), 1u);
    }
    EXPECT_TRUE(wait_until([&] { return srv.connections() == 0; }));
}

// A busy connection (its second request) parks after a second of idleness, counted from its
// last answer.
TEST(http_parking, a_busy_connection_is_not_parked_while_it_keeps_asking) {
    observed obs;
    test_server srv{demo(obs)};
    client c{srv.port()};
    const int n = keep_asking(c, 1800ms, [&](int k) {
        // After its first answer a connection parks at once: it has not proved busy yet.
        if (k < 2 || srv.parked() == 0) return true;
        ADD_FAILURE() << "parked after request " << k;
        return false;
    });
    EXPECT_GE(n, 20);
    EXPECT_TRUE(wait_until([&] { return srv.parked() == 1; }, 3s));
}

TEST(http_parking, a_parked_connection_still_times_out) {
    observed obs;
    nodus::http_config cfg;
    cfg.keep_alive_timeout_ms = 1600;
    test_server srv{demo(obs), cfg};
    client c{srv.port()};
    EXPECT_EQ(c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closed_within(4000ms));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 1400ms);
    EXPECT_LT(took, 2600ms);
}

TEST(http_parking, graceful_close_closes_parked_connections_at_once) {
    observed obs;
    test_server srv{demo(obs)};
    client c{srv.port()};
    EXPECT_EQ(c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
    EXPECT_TRUE(wait_until([&] { return srv.parked() == 1; }, 3s));
    srv.close_gracefully();
    EXPECT_TRUE(c.closed_within(500ms));
}
