// A client that half-closes (FIN) while its response is being made: answered by default, as
// HTTP allows; treated as gone when the response asked for it (response::abort_on_half_close).
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include <nodus/router/router.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using nodus::request;
using nodus::response;
using nodus::test::client;
using nodus::test::status_of;
using nodus::test::test_server;
using nodus::test::wait_until;

class half_close : public ::testing::Test {
protected:
    nodus::router router_; // outlives the server
    std::optional<response> held_; // the pending response; loop thread only
    std::atomic<int> received_{0};
    std::atomic<bool> closed_{false};

    // Holds the response open; `abort`: opts in; `head`: sends the head and one chunk first.
    void route(bool abort, bool head) {
        router_.get("/wait", [this, abort, head](request, response res) {
            if (abort) res.abort_on_half_close();
            res.on_close([this] { closed_ = true; });
            if (head) res.write("first chunk;");
            held_ = res;
            ++received_;
        });
    }
};

TEST_F(half_close, is_answered_by_default) {
    route(false, false);
    test_server srv{router_};
    client cl{srv.port(), 10s};
    cl.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(wait_until([&] { return received_ == 1; }));
    cl.shutdown_write();
    srv.on_loop([&] {
        held_->end("late answer");
        held_.reset();
    });
    auto raw = cl.read_until_close();
    EXPECT_EQ(status_of(raw), 200) << raw;
    EXPECT_NE(raw.find("late answer"), std::string::npos) << raw;
    EXPECT_FALSE(closed_);
}

// The FIN comes after the exchange ended, while its large body is still queued (the client
// has not read yet): the whole answer is sent, then the connection closes.
TEST_F(half_close, after_the_answer_ended_its_queued_body_is_still_sent) {
    route(false, false);
    test_server srv{router_};
    client cl{srv.port(), 20s};
    cl.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(wait_until([&] { return received_ == 1; }));
    const std::string body(8u << 20, 'b');
    srv.on_loop([&] {
        held_->end(body); // more than the socket takes: most of it stays queued
        held_.reset();
    });
    cl.shutdown_write();
    auto raw = cl.read_until_close();
    EXPECT_EQ(status_of(raw), 200);
    auto head_end = raw.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    EXPECT_EQ(raw.size() - head_end - 4, body.size());
    EXPECT_FALSE(closed_);
}

TEST_F(half_close, aborts_a_response_that_asked_before_its_head) {
    route(true, false);
    test_server srv{router_};
    client cl{srv.port(), 10s};
    cl.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(wait_until([&] { return received_ == 1; }));
    cl.shutdown_write();
    ASSERT_TRUE(wait_until([&] { return closed_.load(); })) << "on_close did not run";
    EXPECT_EQ(cl.read_until_close(), "");
    srv.on_loop([&] {
        EXPECT_TRUE(held_->aborted());
        EXPECT_FALSE(held_->end("too late"));
        held_.reset();
    });
}

TEST_F(half_close, aborts_a_response_that_asked_while_its_body_streams) {
    route(true, true);
    test_server srv{router_};
    client cl{srv.port(), 10s};
    cl.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(wait_until([&] { return received_ == 1; }));
    cl.shutdown_write();
    ASSERT_TRUE(wait_until([&] { return closed_.load(); })) << "on_close did not run";
    auto raw = cl.read_until_close();
    EXPECT_NE(raw.find("first chunk;"), std::string::npos) << raw;
    EXPECT_EQ(raw.find("\r\n0\r\n\r\n"), std::string::npos) << "a cut body must not end cleanly: " << raw;
    srv.on_loop([&] { held_.reset(); });
}

// A busy connection reads without trying the socket when its last read emptied it, and epoll
// makes no new report for an end of stream that came with the last bytes: the request and the
// FIN leave together here, and the FIN must still be seen while the response is pending.
TEST_F(half_close, a_busy_connection_sees_a_fin_that_came_with_its_request) {
    route(true, false);
    router_.get("/hi", [](request, response res) { res.end("hi"); });
    test_server srv{router_};
    client cl{srv.port(), 10s};
    for (int i = 0; i < 3; ++i) ASSERT_EQ(cl.exchange("GET /hi HTTP/1.1\r\nHost: x\r\n\r\n").body, "hi");
    cl.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    cl.shutdown_write();
    ASSERT_TRUE(wait_until([&] { return closed_.load(); })) << "the FIN was not seen";
    EXPECT_EQ(received_, 1);
    EXPECT_EQ(cl.read_until_close(), "");
    srv.on_loop([&] { held_.reset(); });
}

} // namespace
