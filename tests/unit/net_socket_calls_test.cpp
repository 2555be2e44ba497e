// nodus::net::detail socket calls (recv_some, send_some, accept_some, close_descriptor): the
// request path's system calls without glibc's cancellation wrappers must keep the libc
// contract (counts, 0 at the end of a stream, -1 with errno).
#include "net/detail/listener.hpp"
#include "net/detail/socket_calls.hpp"

#include <nodus/testing/connection.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

namespace nd = nodus::net::detail;

// Waits (up to 5 s) until `fd` has something to read or accept.
bool readable(int fd) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    return ::poll(&p, 1, 5000) == 1;
}

} // namespace

TEST(net_socket_calls, accept_send_receive_and_close_keep_the_libc_contract) {
    auto listener = nodus::detail::bind_listener("127.0.0.1", 0, 16, false);
    ASSERT_TRUE(listener);
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    // Nothing to accept yet: -1 and EAGAIN, as accept4 says on a non-blocking listener.
    errno = 0;
    EXPECT_EQ(nd::accept_some(listener.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK), -1);
    EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;

    nodus::testing::connection conn{nodus::detail::local_port(listener.get())};
    const int client = conn.fd();
    len = sizeof peer;
    ASSERT_TRUE(readable(listener.get()));
    const int fd = nd::accept_some(listener.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    ASSERT_GE(fd, 0) << errno;
    // The peer and the flags came back as accept4 gives them.
    ASSERT_EQ(peer.ss_family, AF_INET);
    EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port), nodus::detail::local_port(client));
    ASSERT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK); // else the reads below would block
    EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);

    char buf[64];
    errno = 0;
    EXPECT_EQ(nd::recv_some(fd, buf, sizeof buf, 0), -1);
    EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;

    ASSERT_EQ(::send(client, "GET / HTTP/1.1\r\n", 16, 0), 16);
    ASSERT_TRUE(readable(fd));
    EXPECT_EQ(nd::recv_some(fd, buf, 5, MSG_PEEK), 5);
    EXPECT_EQ(nd::recv_some(fd, buf, sizeof buf, 0), 16);
    EXPECT_EQ(std::string(buf, 16), "GET / HTTP/1.1\r\n");

    EXPECT_EQ(nd::send_some(fd, "HTTP/1.1 200 OK\r\n", 17, MSG_NOSIGNAL), 17);
    ASSERT_EQ(::recv(client, buf, 17, MSG_WAITALL), 17);
    EXPECT_EQ(std::string(buf, 17), "HTTP/1.1 200 OK\r\n");

    // The client's end of stream: 0.
    ::shutdown(client, SHUT_WR);
    ASSERT_TRUE(readable(fd));
    EXPECT_EQ(nd::recv_some(fd, buf, sizeof buf, 0), 0);

    EXPECT_EQ(nd::close_descriptor(fd), 0);
    errno = 0;
    EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
    EXPECT_EQ(errno, EBADF);
}

TEST(net_socket_calls, failures_return_minus_one_with_errno) {
    char buf[8];
    errno = 0;
    EXPECT_EQ(nd::recv_some(-1, buf, sizeof buf, 0), -1);
    EXPECT_EQ(errno, EBADF);
    errno = 0;
    EXPECT_EQ(nd::send_some(-1, "x", 1, MSG_NOSIGNAL), -1);
    EXPECT_EQ(errno, EBADF);
    errno = 0;
    EXPECT_EQ(nd::close_descriptor(-1), -1);
    EXPECT_EQ(errno, EBADF);
    // A socket the peer reset: EPIPE from send (MSG_NOSIGNAL: no SIGPIPE), not a signal.
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    ::close(pair[1]);
    errno = 0;
    EXPECT_EQ(nd::send_some(pair[0], "x", 1, MSG_NOSIGNAL), -1);
    EXPECT_EQ(errno, EPIPE);
    ::close(pair[0]);
}
