// nodus::detail::bind_listener: the one way a listening socket is bound.
#include "net/detail/listener.hpp"

#include <gtest/gtest.h>

#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/socket.h>

namespace {

using nodus::detail::bind_listener;
using nodus::detail::local_host;
using nodus::detail::local_port;

std::string error_of(const std::string& host, std::uint16_t port) {
    try {
        bind_listener(host, port, 16, false);
    } catch (const std::system_error& e) {
        return e.what();
    }
    return {};
}

} // namespace

TEST(net_listener, binds_an_ipv4_literal_on_a_free_port) {
    auto fd = bind_listener("127.0.0.1", 0, 16, false);
    ASSERT_TRUE(fd);
    EXPECT_NE(local_port(fd.get()), 0);
    EXPECT_EQ(local_host(fd.get()), "127.0.0.1");
    EXPECT_TRUE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC);
    EXPECT_TRUE(::fcntl(fd.get(), F_GETFL) & O_NONBLOCK);
    int listening = 0;
    socklen_t len = sizeof listening;
    ASSERT_EQ(::getsockopt(fd.get(), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len), 0);
    EXPECT_EQ(listening, 1);
}

TEST(net_listener, binds_a_host_name) {
    auto fd = bind_listener("localhost", 0, 16, false);
    ASSERT_TRUE(fd);
    auto host = local_host(fd.get());
    EXPECT_TRUE(host == "127.0.0.1" || host == "::1") << host;
}

TEST(net_listener, binds_an_ipv6_literal_when_the_machine_has_ipv6) {
    try {
        auto fd = bind_listener("::1", 0, 16, false);
        EXPECT_EQ(local_host(fd.get()), "::1");
    } catch (const std::system_error& e) {
        // No IPv6 loopback here: the error still names the address, bracketed.
        EXPECT_EQ(std::string(e.what()).rfind("cannot listen on [::1]:0", 0), 0u) << e.what();
    }
}

TEST(net_listener, reuseport_sockets_share_a_port) {
    auto a = bind_listener("127.0.0.1", 0, 16, true);
    auto b = bind_listener("127.0.0.1", local_port(a.get()), 16, true);
    EXPECT_EQ(local_port(a.get()), local_port(b.get()));
}

TEST(net_listener, errors_name_host_port_and_reason) {
    auto taken = bind_listener("127.0.0.1", 0, 16, false);
    const auto port = local_port(taken.get());
    const auto in_use = error_of("127.0.0.1", port);
    EXPECT_EQ(in_use.rfind("cannot listen on 127.0.0.1:" + std::to_string(port), 0), 0u) << in_use;
    EXPECT_NE(in_use.find("Address already in use"), std::string::npos) << in_use;
    const auto unknown = error_of("no-such-host.invalid", 8080);
    EXPECT_EQ(unknown.rfind("cannot listen on no-such-host.invalid:8080: ", 0), 0u) << unknown;
}
