// A pooled connection the upstream closed, or wrote to, while it sat idle: the pool drops it
// when the loop sees it, and one taken before the loop saw it never costs a request that can
// be retried nor replays one that cannot.
#include "support/client_fetch.hpp"
#include "support/upstream.hpp"

#include <nodus/client/client.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>

using nodus::test::fetch;
using nodus::test::ok;
using nodus::test::outcome;
using nodus::test::run_until;
using nodus::test::upstream;
using nodus::test::with;
namespace client = nodus::client;

namespace {

// One request on a new agent, leaving its connection pooled; returns the upstream's side.
std::shared_ptr<upstream::conn> pool_one(upstream& up, client::agent& a) {
    std::shared_ptr<upstream::conn> server_side;
    up.on_request = [&](const upstream::exchange& x) {
        if (!server_side) server_side = x.c;
        x.send(ok(x.method() + " " + std::to_string(x.index) + " " + x.body));
    };
    outcome first;
    fetch(with(a, up.url()), first);
    EXPECT_TRUE(run_until([&] { return first.done && a.stats().idle == 1; }));
    EXPECT_EQ(first.body, "GET 0 ");
    return server_side;
}

} // namespace

TEST(client_pool, bytes_on_an_idle_connection_drop_it_from_the_pool) {
    upstream up;
    client::agent a;
    auto server_side = pool_one(up, a);
    ASSERT_TRUE(server_side);
    // What some servers send before closing an idle connection: it answers no request.
    server_side->send("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(run_until([&] { return a.stats().idle == 0; }));
    EXPECT_EQ(a.stats().active, 0u);
    outcome second;
    fetch(with(a, up.url()), second);
    ASSERT_TRUE(run_until([&] { return second.done; }));
    EXPECT_EQ(second.status, 200) << second.err.message();
    EXPECT_EQ(second.body, "GET 0 ") << "answered on a new connection";
    EXPECT_EQ(up.connections, 2);
    EXPECT_EQ(a.stats().retried, 0u);
}

// The close reaches the client's socket, but the loop has not run since: the connection is
// still in the pool when the next request takes it.
TEST(client_pool, get_on_a_connection_closed_unseen_is_retried_on_a_new_one) {
    upstream up;
    client::agent a;
    auto server_side = pool_one(up, a);
    ASSERT_TRUE(server_side);
    server_side->close(); // on loopback the FIN is in the client's socket when close returns
    outcome second;
    fetch(with(a, up.url()), second);
    ASSERT_TRUE(run_until([&] { return second.done; }));
    EXPECT_FALSE(second.err) << second.err.message();
    EXPECT_EQ(second.body, "GET 0 ");
    EXPECT_EQ(up.connections, 2);
    EXPECT_EQ(a.stats().retried, 1u) << "taken before the loop saw the close";
    EXPECT_EQ(up.requests, 2) << "the closed connection carried no request the upstream read";
}

TEST(client_pool, post_on_a_connection_closed_unseen_goes_on_a_new_one_once) {
    upstream up;
    client::agent a;
    auto server_side = pool_one(up, a);
    ASSERT_TRUE(server_side);
    server_side->close();
    outcome second;
    auto o = with(a, up.url());
    o.method = "POST";
    fetch(o, second, "data");
    ASSERT_TRUE(run_until([&] { return second.done; }));
    EXPECT_FALSE(second.err) << "the socket is asked before a request that cannot be replayed: "
                             << second.err.message();
    EXPECT_EQ(second.body, "POST 0 data");
    EXPECT_EQ(up.connections, 2);
    EXPECT_EQ(up.requests, 2) << "the POST reached the upstream once";
    EXPECT_EQ(a.stats().retried, 0u) << "a POST is never retried";
}

TEST(client_pool, post_on_a_connection_closed_after_it_was_taken_reports_the_error) {
    upstream up;
    client::agent a;
    auto server_side = pool_one(up, a);
    ASSERT_TRUE(server_side);
    // The upstream reads the POST and closes without answering, as one that timed the
    // connection out just as the request arrived: it must not be sent again.
    up.on_request = [](const upstream::exchange& x) { x.close(); };
    outcome second;
    auto o = with(a, up.url());
    o.method = "POST";
    fetch(o, second, "data");
    ASSERT_TRUE(run_until([&] { return second.done; }));
    EXPECT_EQ(second.err.code, client::errc::closed) << second.err.message();
    EXPECT_EQ(up.requests, 2) << "sent once, not replayed";
    EXPECT_EQ(up.connections, 1);
    EXPECT_EQ(a.stats().retried, 0u);
}

// The upstream runs on a thread of its own and keeps the connection open, so that only the
// pooled connection's pending read and timer could hold the loop.
TEST(client_pool, a_pooled_connection_left_open_does_not_hold_the_loop) {
    const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(lfd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(lfd, 1), 0);
    ASSERT_EQ(::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    std::promise<void> release;
    std::thread server([lfd, done = release.get_future()] {
        const int fd = ::accept(lfd, nullptr, nullptr);
        std::string in;
        char buf[4096];
        while (in.find("\r\n\r\n") == std::string::npos) {
            const auto n = ::read(fd, buf, sizeof buf);
            if (n <= 0) break;
            in.append(buf, static_cast<std::size_t>(n));
        }
        const std::string answer = ok("x");
        (void)!::write(fd, answer.data(), answer.size());
        done.wait();
        ::close(fd);
    });
    client::agent a;
    outcome out;
    fetch(with(a, "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/"), out);
    const bool pooled = run_until([&] { return out.done && a.stats().idle == 1; });
    auto& io = nodus::io_context();
    io.restart();
    const auto t0 = std::chrono::steady_clock::now();
    io.run_for(std::chrono::seconds(3));
    const auto took = std::chrono::steady_clock::now() - t0;
    release.set_value();
    server.join();
    ::close(lfd);
    a.close_idle();
    run_until([] { return false; }, std::chrono::milliseconds(20));
    ASSERT_TRUE(pooled) << out.err.message();
    EXPECT_EQ(out.body, "x");
    EXPECT_LT(took, std::chrono::seconds(1)) << "run() ends with only a pooled connection left";
}
