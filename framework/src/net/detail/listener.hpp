#pragma once
// The one way a process binds a listening TCP socket, for the single process and the
// cluster master alike.
#include "net/detail/unique_fd.hpp"

#include <cstdint>
#include <string>

namespace nodus::detail {

/// A listening TCP socket (close-on-exec, non-blocking) bound to `host`:`port`.
///
/// `host` is an IPv4 or IPv6 literal or a host name, resolved with getaddrinfo
/// (AI_PASSIVE: an empty host means every local address); the first address that binds
/// and listens is taken. `port` 0 asks the kernel for a free port (read it back with
/// `local_port`). SO_REUSEADDR is always set, SO_REUSEPORT when `reuseport` is.
/// @throws std::system_error naming "host:port" and the reason (resolution failure,
/// or the errno of the last address tried).
unique_fd bind_listener(const std::string& host, std::uint16_t port, int backlog, bool reuseport);

/// The port a bound socket has; 0 when it cannot be read.
std::uint16_t local_port(int fd) noexcept;

/// The address a bound socket has, as text (no brackets); empty when it cannot be read.
std::string local_host(int fd);

/// True for the accept() errors that belong to one connection (Linux reports a new
/// socket's pending network error from accept, and a client may reset before it is taken):
/// skip it and take the next. Any other error is the listener's (out of descriptors or
/// memory).
bool accept_error_of_one(int err) noexcept;

/// "host:port", with brackets around an IPv6 literal.
std::string show_endpoint(const std::string& host, std::uint16_t port);

} // namespace nodus::detail
