// Nagle's algorithm on the server's sockets. A connection's first send goes out as it is: with
// nothing in flight, Nagle holds nothing back. TCP_NODELAY is on before any later send, so a
// small write never waits for the client's delayed ACK (40 ms on Linux, 200 ms on Windows), and
// a client that asks once and leaves costs no setsockopt. The server runs in this process:
// the option is read on its end of each connection.
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include <nodus/loop/loop.hpp>
#include <nodus/router/router.hpp>
#include <nodus/ws/websocket.hpp>

#include <gtest/gtest.h>

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <string>

using namespace std::chrono_literals;
using nodus::test::client;
using nodus::test::test_server;
using nodus::test::wait_until;

namespace {

bool same_v4(const sockaddr_storage& a, const sockaddr_storage& b) {
    auto& x = reinterpret_cast<const sockaddr_in&>(a);
    auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return a.ss_family == AF_INET && b.ss_family == AF_INET && x.sin_port == y.sin_port &&
        x.sin_addr.s_addr == y.sin_addr.s_addr;
}

// The server's end of the client's connection `client_fd`; -1 when none is open.
int server_end(int client_fd) {
    sockaddr_storage local{}, peer{};
    socklen_t len = sizeof local;
    if (::getsockname(client_fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return -1;
    len = sizeof peer;
    if (::getpeername(client_fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return -1;
    int found = -1;
    DIR* d = ::opendir("/proc/self/fd");
    while (dirent* e = d ? ::readdir(d) : nullptr) {
        int fd = std::atoi(e->d_name);
        if (e->d_name[0] == '.' || fd == client_fd) continue;
        sockaddr_storage a{}, b{};
        socklen_t la = sizeof a, lb = sizeof b;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &la) == 0 &&
            ::getpeername(fd, reinterpret_cast<sockaddr*>(&b), &lb) == 0 && same_v4(a, peer) && same_v4(b, local))
            found = fd;
    }
    if (d) ::closedir(d);
    return found;
}

int nodelay(int fd) {
    int on = -1;
    socklen_t len = sizeof on;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) != 0) return -1;
    return on;
}

const char* get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

} // namespace

TEST(http_nagle, the_first_answer_leaves_nagle_alone_and_a_second_one_turns_it_off) {
    test_server srv{[](nodus::request, nodus::response res) { res.end("hello\n"); }};
    client c{srv.port()};
    ASSERT_EQ(c.exchange(get).status, 200);
    int s = server_end(c.fd());
    ASSERT_GE(s, 0);
    EXPECT_EQ(nodelay(s), 0) << "one answer, one send: no setsockopt";
    // The connection parked after its first answer and comes back for this one.
    ASSERT_EQ(c.exchange(get).status, 200);
    EXPECT_EQ(nodelay(s), 1);
    ASSERT_EQ(c.exchange(get).status, 200);
    EXPECT_EQ(nodelay(s), 1);
}

// A client that connects and waits before it asks is parked first: its first answer is still
// its connection's first send.
TEST(http_nagle, a_client_that_was_parked_silent_gets_its_first_answer_the_same_way) {
    test_server srv{[](nodus::request, nodus::response res) { res.end("hello\n"); }};
    client c{srv.port()};
    ASSERT_TRUE(wait_until([&] { return srv.parked() == 1; }, 5s));
    ASSERT_EQ(c.exchange(get).status, 200);
    int s = server_end(c.fd());
    ASSERT_GE(s, 0);
    EXPECT_EQ(nodelay(s), 0);
    ASSERT_EQ(c.exchange(get).status, 200);
    EXPECT_EQ(nodelay(s), 1);
}

TEST(http_nagle, a_response_written_in_pieces_turns_it_off_before_the_second) {
    test_server srv{[](nodus::request, nodus::response res) {
        res.write("first piece\n");
        nodus::set_timeout(20ms, res.guard([res] { res.end("second piece\n"); }));
    }};
    client c{srv.port()};
    auto r = c.exchange(get);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "first piece\nsecond piece\n");
    int s = server_end(c.fd());
    ASSERT_GE(s, 0);
    EXPECT_EQ(nodelay(s), 1);
}

// A WebSocket sends small messages at any time: the socket it takes has Nagle off.
TEST(http_nagle, an_upgraded_connection_has_it_off) {
    nodus::router r;
    nodus::websocket_route route;
    route.on_open([](nodus::websocket ws, const nodus::request&) { ws.send("hi"); });
    r.get("/ws", route.upgrade());
    test_server srv{r};
    client c{srv.port()};
    c.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    auto head = c.read_response(true);
    ASSERT_TRUE(head);
    ASSERT_EQ(head->status, 101);
    int s = server_end(c.fd());
    ASSERT_GE(s, 0);
    EXPECT_EQ(nodelay(s), 1);
}
