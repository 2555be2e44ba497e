// Every callback that runs for an exchange runs under its error boundary: an exception in a
// body, drain or close callback, in `body()`'s callback or in a callback wrapped with
// `res.guard` answers 500 (or closes the connection once the head went out), and the
// server goes on serving. Without the boundary the exception leaves the loop and the
// process terminates.
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include <nodus/loop/loop.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using nodus::request;
using nodus::response;
using nodus::test::client;
using nodus::test::test_server;
using nodus::test::wait_until;

namespace {

struct seen {
    std::atomic<int> on_close{0};
    std::atomic<int> after_throw{0}; // a body callback that ran after one threw
};

void boom() { throw std::runtime_error("boom"); }

nodus::handler throwing(seen& s) {
    return [&s](request req, response res) {
        auto path = req.path();
        if (path == "/data") {
            req.on_data([&s](std::string_view) {
                if (s.after_throw++ == 0) boom();
            });
            req.on_end([res] { res.end("unreachable\n"); });
        } else if (path == "/end") {
            req.on_end([] { boom(); });
        } else if (path == "/error") {
            req.on_error([res](std::error_code) { boom(); }); // the copy keeps the response open
            req.on_data([](std::string_view) {});
        } else if (path == "/body") {
            req.body(1 << 20, [](std::error_code, std::string) { boom(); });
        } else if (path == "/timer") {
            nodus::set_timeout(20ms, res.guard([] { boom(); }));
        } else if (path == "/timer_after_head") {
            res.write("part");
            nodus::set_timeout(20ms, res.guard([] { boom(); }));
        } else if (path == "/work") {
            nodus::queue_work([] {}, res.guard([](std::exception_ptr) { boom(); }));
        } else if (path == "/fail") {
            nodus::queue_work([] { boom(); },
                              [res](std::exception_ptr e) {
                                  if (e) res.fail(e);
                                  else res.end("no error\n");
                              });
        } else if (path == "/drain") {
            static const std::string block(1 << 20, 'x');
            while (res.write(block)) {}
            res.on_drain([res] { boom(); }); // the copy keeps the response open
        } else if (path == "/close") {
            res.on_close([&s, res] { // the copy keeps the response open
                ++s.on_close;
                boom();
            });
        } else {
            res.end("ok\n");
        }
    };
}

// The server survived: a new connection is answered.
void still_serving(std::uint16_t port) {
    auto r = nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "ok\n");
}

std::string post(std::string_view path, std::string_view body) {
    return std::string("POST ") + std::string(path) +
        " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
        std::string(body);
}

} // namespace

TEST(http_boundary, throw_in_on_data_is_500_and_no_more_body_callbacks) {
    seen s;
    test_server srv{throwing(s)};
    client c{srv.port()};
    c.send("POST /data HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + std::string(1000, 'a'));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_TRUE(r->closes());
    c.send(std::string(99000, 'b')); // the rest goes nowhere
    EXPECT_TRUE(c.closed_within(2000ms));
    EXPECT_EQ(s.after_throw.load(), 1);
    still_serving(srv.port());
}

TEST(http_boundary, throw_in_on_end_is_500) {
    seen s;
    test_server srv{throwing(s)};
    auto r = nodus::test::exchange(srv.port(), post("/end", "abc"));
    EXPECT_EQ(r.status, 500);
    EXPECT_TRUE(r.closes());
    still_serving(srv.port());
}

TEST(http_boundary, throw_in_on_end_of_a_request_without_body_is_500) {
    seen s;
    test_server srv{throwing(s)};
    auto r = nodus::test::exchange(srv.port(), "GET /end HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 500);
    still_serving(srv.port());
}

TEST(http_boundary, throw_in_on_error_is_500) {
    seen s;
    test_server srv{throwing(s)};
    auto r = nodus::test::exchange(
        srv.port(), "POST /error HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    EXPECT_EQ(r.status, 500);
    still_serving(srv.port());
}

TEST(http_boundary, throw_in_the_body_callback_is_500) {
    seen s;
    test_server srv{throwing(s)};
    auto r = nodus::test::exchange(srv.port(), post("/body", "abc"));
    EXPECT_EQ(r.status, 500);
    still_serving(srv.port());
}

TEST(http_boundary, throw_in_a_guarded_timer_is_500) {
    seen s;
    test_server srv{throwing(s)};
    auto r = nodus::test::exchange(srv.port(), "GET /timer HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body, "Internal Server Error\n");
    still_serving(srv.port());
}

TEST(http_boundary, throw_in_a_guarded_timer_after_the_head_closes_the_connection) {
    seen s;
    test_server srv{throwing(s)};
    auto raw = nodus::test::roundtrip(srv.port(), "GET /timer_after_head HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(nodus::test::status_of(raw), 200);
    EXPECT_NE(raw.find("4\r\npart\r\n"), std::string::npos);
    EXPECT_EQ(raw.find("0\r\n\r\n"), std::string::npos) << "the chunked body must not look complete";
    still_serving(srv.port());
}

TEST(http_boundary, throw_in_a_guarded_pool_completion_is_500) {
    seen s;
    test_server srv{throwing(s)};
    EXPECT_EQ(nodus::test::exchange(srv.port(), "GET /work HTTP/1.1\r\nHost: x\r\n\r\n").status, 500);
    EXPECT_EQ(nodus::test::exchange(srv.port(), "GET /fail HTTP/1.1\r\nHost: x\r\n\r\n").status, 500);
    still_serving(srv.port());
}

TEST(http_boundary, throw_in_on_drain_closes_the_connection) {
    seen s;
    test_server srv{throwing(s)};
    auto raw = nodus::test::roundtrip(srv.port(), "GET /drain HTTP/1.1\r\nHost: x\r\n\r\n", 5000ms);
    EXPECT_EQ(nodus::test::status_of(raw), 200);
    EXPECT_FALSE(raw.ends_with("0\r\n\r\n")) << "the chunked body must not look complete";
    EXPECT_TRUE(wait_until([&] { return srv.connections() == 0; }));
    still_serving(srv.port());
}

TEST(http_boundary, throw_in_on_close_is_logged_and_the_server_goes_on) {
    seen s;
    test_server srv{throwing(s)};
    {
        client c{srv.port()};
        c.send("GET /close HTTP/1.1\r\nHost: x\r\n\r\n");
        ASSERT_TRUE(c.wait_read_by_server());
        linger reset{1, 0}; // close with a reset: the client is gone, not half-closed
        ::setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    }
    EXPECT_TRUE(wait_until([&] { return s.on_close == 1 && srv.connections() == 0; }));
    still_serving(srv.port());
}
