// The tests' HTTP client itself (tests/support/http_client.hpp), where its behaviour is more
// than sending bytes: get() on a keep-alive connection, reconnecting, and telling a request
// that failed before any byte came back from one that failed midway.
#include "support/http_client.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using nodus::request;
using nodus::response;
using nodus::test::client;
using nodus::test::test_server;

namespace {

nodus::handler hello() {
    return [](request, response res) { res.end("hello\n"); };
}

} // namespace

TEST(test_client, get_keeps_the_connection_until_told_to_close) {
    test_server srv{hello()};
    client c;
    EXPECT_FALSE(c.is_open());
    ASSERT_TRUE(c.connect(srv.port()));
    for (int i = 1; i <= 3; ++i) {
        auto r = c.get("/", true);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body, "hello\n");
        EXPECT_EQ(c.requests_sent(), i);
        EXPECT_TRUE(c.is_open());
    }
    EXPECT_EQ(srv.connections(), 1u);
    auto last = c.get("/", false);
    ASSERT_TRUE(last);
    EXPECT_TRUE(last->closes());
    EXPECT_FALSE(c.is_open());
}

TEST(test_client, a_request_on_a_connection_the_server_closed_gets_no_byte) {
    nodus::http_config cfg;
    cfg.keep_alive_timeout_ms = 100;
    test_server srv{hello(), cfg};
    client c{srv.port()};
    ASSERT_TRUE(c.get("/"));
    ASSERT_TRUE(c.closed_within(2s));
    EXPECT_FALSE(c.get("/"));
    EXPECT_FALSE(c.response_started()) << "a stale keep-alive connection, safe to retry";
    EXPECT_FALSE(c.is_open());
    ASSERT_TRUE(c.connect(srv.port()));
    EXPECT_EQ(c.requests_sent(), 0);
    auto r = c.get("/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST(test_client, connect_reports_a_refused_connection) {
    // A port bound but not listening refuses, and stays ours while the test runs.
    int held = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    ASSERT_EQ(::bind(held, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(::getsockname(held, reinterpret_cast<sockaddr*>(&sa), &len), 0);
    auto port = ntohs(sa.sin_port);
    client c;
    EXPECT_FALSE(c.connect(port));
    EXPECT_THROW(client{port}, std::runtime_error);
    auto moved = std::move(c);
    EXPECT_FALSE(moved.is_open());
    ::close(held);
}
