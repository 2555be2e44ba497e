#pragma once
// Asio's per-socket state (descriptor, reactor data, flags), which basic_socket keeps
// protected: reached through a member pointer named in a class derived from it (no object of
// that class is ever made). Tied to the Boost version the project builds with (1.81).
#include "net/detail/drained_read.hpp"

namespace nodus::net::detail {

struct socket_access : tcp_socket {
    static auto& of(tcp_socket& s) noexcept { return (s.*(&socket_access::impl_)).get_implementation(); }
};

} // namespace nodus::net::detail
