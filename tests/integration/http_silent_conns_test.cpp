// Connections that connect and say nothing: parked at once (no connection object, nothing
// in Asio), served when they speak, closed when their head does not come in time; and the
// memory of a burst of them goes back to the system once they are gone.
#include "support/http_client.hpp"
#include "support/loop_control.hpp"
#include "support/read_until.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include "net/detail/unique_fd.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nodus/loop/loop.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using nodus::test::client;
using nodus::test::hold_loop;
using nodus::test::read_until;
using nodus::test::test_server;
using nodus::test::turn_log;
using nodus::test::wait_until;

namespace {

void hello(nodus::request, nodus::response res) { res.end("hello\n"); }

long rss_kb() {
    std::ifstream f{"/proc/self/status"};
    for (std::string line; std::getline(f, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// AddressSanitizer's allocator keeps freed memory in quarantine and never gives it back:
// the RSS figures mean nothing there (the parking itself is still checked).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool rss_meaningful = false;
#else
constexpr bool rss_meaningful = true;
#endif

int connect_silent(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Both ends of `n` connections in this process, and some to spare.
bool descriptors_for(int n) {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    const rlim_t want = 2 * static_cast<rlim_t>(n) + 100;
    if (lim.rlim_cur < want) {
        lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, want);
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    return lim.rlim_cur >= want;
}

} // namespace

TEST(http_silent, a_silent_connection_is_parked_and_served_when_it_speaks) {
    test_server srv{hello};
    client c{srv.port()};
    EXPECT_TRUE(wait_until([&] { return srv.connections() == 1 && srv.parked() == 1; }));
    auto r = c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello\n");
    EXPECT_EQ(srv.requests(), 1u);
}

TEST(http_silent, a_silent_connection_is_closed_after_the_header_timeout) {
    nodus::http_config cfg;
    cfg.header_timeout_ms = 300;
    test_server srv{hello, cfg};
    client c{srv.port()};
    EXPECT_TRUE(wait_until([&] { return srv.parked() == 1; }));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closed_within(3000ms));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
    EXPECT_TRUE(wait_until([&] { return srv.connections() == 0; }));
}

TEST(http_silent, a_silent_connection_that_closes_is_freed) {
    test_server srv{hello};
    {
        client c{srv.port()};
        EXPECT_TRUE(wait_until([&] { return srv.parked() == 1; }));
    }
    EXPECT_TRUE(wait_until([&] { return srv.connections() == 0 && srv.parked() == 0; }));
}

TEST(http_silent, a_request_sent_with_the_connection_is_answered_without_parking) {
    test_server srv{hello};
    EXPECT_EQ(
        nodus::test::exchange(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status,
        200);
    EXPECT_EQ(srv.requests(), 1u);
}

// Parked connections wait in a side epoll set that the loop watches as one descriptor.
// Far more of them may speak at once (a load balancer's pool, clients back after a silent
// burst): every one is served, none waits for another to speak, and all are served in one
// wake-up of the loop (64 per epoll_wait, up to 1,024), not one turn of it per 64.
static void many_parked_speak_at_once(bool served_before) {
    constexpr int n = 300;
    nodus::http_config cfg;
    cfg.header_timeout_ms = 60000;
    cfg.keep_alive_timeout_ms = 60000;
    turn_log turns; // of the requests made once all have spoken
    test_server srv{[&](nodus::request, nodus::response res) {
                        turns.note();
                        res.end("hello\n");
                    },
                    cfg};
    std::vector<nodus::detail::unique_fd> fds; // closed however the test ends
    std::optional<turn_log::counting> counting; // after the server: stops before it goes
    const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    auto answered = [](int fd) {
        std::string got;
        return read_until(fd, got, "hello\n").rfind("HTTP/1.1 200 OK\r\n", 0) == 0;
    };
    for (int i = 0; i < n; ++i) {
        int fd = connect_silent(srv.port());
        ASSERT_GE(fd, 0) << "connection " << i;
        fds.emplace_back(fd);
        if (served_before) {
            ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
            ASSERT_TRUE(answered(fd)) << "connection " << i;
        }
    }
    ASSERT_TRUE(wait_until([&] { return srv.parked() == n; }, 20s)) << srv.parked() << " parked";
    {
        // The loop is held while they all speak, so that all are ready when it looks.
        hold_loop hold;
        for (auto& fd : fds) {
            if (::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
                ADD_FAILURE() << "send: " << std::strerror(errno);
        }
        counting.emplace(turns.start());
    }
    const std::uint64_t want = served_before ? 2 * n : n;
    EXPECT_TRUE(wait_until([&] { return srv.requests() == want; }, 2s))
        << srv.requests() << " requests answered of " << want << "; " << srv.parked() << " still parked";
    int ok = 0;
    for (auto& fd : fds)
        if (answered(fd.get())) ++ok;
    EXPECT_EQ(ok, n);
    ASSERT_EQ(turns.notes(), static_cast<std::size_t>(n));
    // One wake-up; 64 per wake-up took five.
    EXPECT_LE(turns.spread(), 1u);
}

TEST(http_silent, hundreds_of_silent_connections_that_speak_at_once_are_all_served) {
    many_parked_speak_at_once(false);
}

TEST(http_silent, hundreds_of_parked_keep_alive_connections_that_speak_at_once_are_all_served) {
    many_parked_speak_at_once(true);
}

// A burst of silent clients costs little while it lasts (a parked connection, not a
// connection object: a few dozen bytes each), and once they have all gone the process is
// back within a bound of where it was.
TEST(http_silent, the_memory_of_a_burst_of_silent_connections_goes_back) {
    constexpr int n = 4000;
    if (!descriptors_for(n)) GTEST_SKIP() << "needs " << 2 * n + 100 << " descriptors";

    test_server srv{hello};
    EXPECT_EQ(nodus::test::exchange(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
    std::vector<int> fds;
    fds.reserve(n);
    const long before = rss_kb();
    for (int i = 0; i < n; ++i) {
        int fd = connect_silent(srv.port());
        ASSERT_GE(fd, 0) << "connection " << i;
        fds.push_back(fd);
    }
    ASSERT_TRUE(wait_until([&] { return srv.connections() == n && srv.parked() == n; }, 20s))
        << srv.connections() << " open, " << srv.parked() << " parked";
    const long during = rss_kb();
    // A connection object with Asio's state is ~600 bytes; a parked one about a tenth.
    if (rss_meaningful) {
        EXPECT_LT((during - before) * 1024 / n, 200)
            << "before " << before << " kB, during " << during << " kB";
    }

    for (int fd : fds) ::close(fd);
    ASSERT_TRUE(wait_until([&] { return srv.connections() == 0; }, 20s))
        << srv.connections() << " still open";
    const long after = rss_kb();
    if (rss_meaningful) {
        EXPECT_LT(after - before, 1024) << "before " << before << " kB, after " << after << " kB";
    }
}

// A client that connected just before a graceful stop may have its request on the way: it is
// answered (with Connection: close), as it was before silent connections were parked.
TEST(http_silent, a_silent_connection_is_still_answered_after_a_graceful_close_begins) {
    test_server srv{hello};
    client c{srv.port()};
    ASSERT_TRUE(wait_until([&] { return srv.parked() == 1; }));
    srv.close_gracefully();
    ASSERT_TRUE(wait_until([&] { return srv.parked() == 0; }));
    auto r = c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Connection"), "close");
    EXPECT_TRUE(c.closed_within(2000ms));
}

// Clients back after a silent burst all ask at once (a load balancer restarted): each is
// served and parked again with one connection object alive at a time, so what stays is a
// parked record per connection, not the peak of connection objects one wake-up made (at
// 1,024 per wake-up, deleted a turn later, that peak was ~300 bytes per connection here).
TEST(http_silent, a_silent_burst_that_asks_at_once_leaves_parked_records_only) {
    constexpr int n = 4000;
    if (!descriptors_for(n)) GTEST_SKIP() << "needs " << 2 * n + 100 << " descriptors";
    nodus::http_config cfg;
    cfg.header_timeout_ms = 60000;
    cfg.keep_alive_timeout_ms = 60000;
    test_server srv{hello, cfg};
    EXPECT_EQ(nodus::test::exchange(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
    std::vector<nodus::detail::unique_fd> fds; // closed however the test ends
    fds.reserve(n);
    const long before = rss_kb();
    for (int i = 0; i < n; ++i) {
        int fd = connect_silent(srv.port());
        ASSERT_GE(fd, 0) << "connection " << i;
        fds.emplace_back(fd);
    }
    ASSERT_TRUE(wait_until([&] { return srv.parked() == n; }, 20s)) << srv.parked() << " parked";
    const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    {
        hold_loop hold; // all of them speak before the loop looks
        for (auto& fd : fds) {
            if (::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
                ADD_FAILURE() << "send: " << std::strerror(errno);
        }
    }
    ASSERT_TRUE(wait_until([&] { return srv.requests() == n + 1u && srv.parked() == n; }, 20s))
        << srv.requests() << " requests, " << srv.parked() << " parked";
    const long after = rss_kb();
    if (rss_meaningful) {
        EXPECT_LT((after - before) * 1024 / n, 150) << "before " << before << " kB, after " << after << " kB";
    }
}
