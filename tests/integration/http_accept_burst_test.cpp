// A burst of new connections (a thousand clients started at once, a load balancer refilling
// its pool) is taken from the listen queue many per turn of the loop, not one per turn
// behind every request in flight.
#include "support/loop_control.hpp"
#include "support/read_until.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include "net/detail/unique_fd.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using nodus::test::hold_loop;
using nodus::test::read_until;
using nodus::test::test_server;
using nodus::test::turn_log;
using nodus::test::wait_until;

namespace {

nodus::detail::unique_fd connect_to(std::uint16_t port) {
    nodus::detail::unique_fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return {};
    return fd;
}

} // namespace

TEST(http_accept_burst, a_burst_of_new_connections_is_served_in_a_few_turns_of_the_loop) {
    constexpr int n = 200; // within the listen backlog (511)
    turn_log turns;
    test_server srv{[&](nodus::request, nodus::response res) {
        turns.note();
        res.end("hello\n");
    }};
    std::vector<nodus::detail::unique_fd> fds; // closed however the test ends
    std::optional<turn_log::counting> counting; // after the server: stops before it goes
    const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    {
        // All of them are in the listen queue, each with its request, before the loop looks.
        hold_loop hold;
        for (int i = 0; i < n; ++i) {
            fds.push_back(connect_to(srv.port()));
            ASSERT_TRUE(fds.back()) << "connection " << i << ": " << std::strerror(errno);
            ASSERT_EQ(::send(fds.back().get(), req.data(), req.size(), MSG_NOSIGNAL),
                      static_cast<ssize_t>(req.size()));
        }
        counting.emplace(turns.start());
    }
    ASSERT_TRUE(wait_until([&] { return srv.requests() == n; }, 10s))
        << srv.requests() << " answered of " << n;
    int ok = 0;
    for (auto& fd : fds) {
        std::string got;
        if (read_until(fd.get(), got, "hello\n").rfind("HTTP/1.1 200 OK\r\n", 0) == 0) ++ok;
    }
    EXPECT_EQ(ok, n);
    ASSERT_EQ(turns.notes(), static_cast<std::size_t>(n));
    // 64 a turn take four turns; one a turn took 200.
    EXPECT_LE(turns.spread(), 8u);
}
