// Slow clients on real sockets: a request body that stops, or trickles in slower than
// min_body_rate, is answered 408 when the rule says, not after request_timeout_ms; a client
// that reads a response slower than min_send_rate is cut after the grace period.
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <thread>

using namespace std::chrono_literals;
using nodus::request;
using nodus::response;
using nodus::test::client;
using nodus::test::test_server;
using steady = std::chrono::steady_clock;

namespace {

void handler(request req, response res) {
    if (req.path() == "/upload") {
        req.on_data([](std::string_view) {});
        req.on_end([res] { res.end("done\n"); });
    } else if (req.path() == "/stream") {
        // The pump holds itself only weakly: the pending on_drain callback (the exchange's,
        // dropped when the connection goes) is what keeps it alive.
        auto pump = std::make_shared<std::function<void()>>();
        *pump = [res, weak = std::weak_ptr<std::function<void()>>(pump)] {
            static const std::string block(65536, 'x');
            while (res.write(block)) {}
            if (res.finished()) return;   // aborted
            if (auto self = weak.lock()) res.on_drain([self] { (*self)(); });
        };
        (*pump)();
    } else {
        res.end("ok\n");
    }
}

nodus::http_config slow_rules() {
    nodus::http_config cfg;
    cfg.request_timeout_ms = 300000; // far away: the rules below must act first
    cfg.body_idle_timeout_ms = 400;
    cfg.min_body_rate = 100;
    cfg.min_rate_grace_ms = 600;
    return cfg;
}

} // namespace

TEST(http_slow_client, a_body_that_stops_gets_408_after_body_idle_timeout) {
    test_server srv{handler, slow_rules()};
    client c{srv.port()};
    auto start = steady::now();
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789");
    auto r = c.read_response();
    auto took = steady::now() - start;
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 408);
    EXPECT_TRUE(r->closes());
    EXPECT_GE(took, 390ms); // the idle timeout (coarse clock: a few ms early at most)
    EXPECT_LT(took, 1500ms); // not request_timeout_ms
}

TEST(http_slow_client, a_body_trickling_below_min_body_rate_gets_408_after_the_grace) {
    test_server srv{handler, slow_rules()};
    client c{srv.port()};
    auto start = steady::now();
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    // One byte every 50 ms (20 bytes/s): never idle for 400 ms, always under 100 bytes/s.
    std::atomic<bool> stop{false};
    std::thread drip([&] {
        while (!stop) {
            try {
                c.send("a");
            } catch (...) {
                return;
            }
            std::this_thread::sleep_for(50ms);
        }
    });
    bool closed = c.closed_within(5000ms);
    auto took = steady::now() - start;
    stop = true;
    drip.join();
    EXPECT_TRUE(closed);
    EXPECT_EQ(nodus::test::status_of(c.pending()), 408) << c.pending();
    EXPECT_GE(took, 590ms); // the grace
    EXPECT_LT(took, 2000ms); // and the first byte after it
}

TEST(http_slow_client, a_body_at_a_good_rate_is_not_cut) {
    test_server srv{handler, slow_rules()};
    client c{srv.port()};
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
    for (int i = 0; i < 10; ++i) { // 100 bytes every 100 ms: 1000 bytes/s over a second
        c.send(std::string(100, 'a'));
        std::this_thread::sleep_for(100ms);
    }
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "done\n");
}

TEST(http_slow_client, a_reader_below_min_send_rate_is_cut_after_the_grace) {
    auto cfg = slow_rules();
    cfg.min_send_rate = 4 * 1024 * 1024; // 4 MiB/s
    cfg.send_timeout_ms = 60000;
    test_server srv{handler, cfg};
    client c{srv.port()};
    int small = 16384;
    ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    c.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    auto start = steady::now();
    // About 320 KiB/s: steady progress, far below the minimum.
    std::size_t got = 0;
    char buf[16384];
    bool closed = false;
    while (steady::now() - start < 20s) {
        auto n = ::recv(c.fd(), buf, sizeof buf, 0);
        if (n <= 0) {
            closed = true;
            break;
        }
        got += static_cast<std::size_t>(n);
        std::this_thread::sleep_for(50ms);
    }
    auto took = steady::now() - start;
    EXPECT_TRUE(closed);
    EXPECT_GE(took, 590ms);
    // The kernel reports room in the socket only once a third of its buffer is free: the
    // first check after the grace comes at that pace, seconds here, never the send timeout.
    EXPECT_LT(took, 10000ms);
    EXPECT_GT(got, 0u);
    EXPECT_TRUE(nodus::test::wait_until([&] { return srv.connections() == 0; }));
}
