#pragma once
// The master's listening sockets: bound from [server], or adopted from systemd.
#include "net/detail/unique_fd.hpp"

#include <nodus/config/config.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nodus::cluster::detail {

/// The sockets the workers (or, with balance = round_robin, the master) accept on.
///
/// Invariant: either closed (no socket) or open with one socket (balance = shared and
/// round_robin) or one socket per worker (reuseport), every one bound to host():port().
/// The sockets are close-on-exec and non-blocking; this object owns them.
class listeners {
public:
    /// Adopt systemd's sockets when LISTEN_PID names this process (then `mode` falls back
    /// from reuseport to shared when fewer sockets than workers came), else bind [server]
    /// host:port. `always_reuseport`: set SO_REUSEPORT on a single socket too, so that a
    /// later rebind() can bind while connections of the old socket linger.
    /// @throws std::system_error naming host:port.
    void open(const server_config& srv, balance& mode, int workers, bool always_reuseport);

    /// Bind again after close(): the configured port, or the one the kernel chose for port 0.
    /// @throws std::system_error naming host:port.
    void rebind(const server_config& srv);

    void close() noexcept;
    bool is_open() const noexcept { return !fds_.empty(); }

    /// The socket the worker of `slot` (0-based) accepts on.
    int for_slot(int slot) const noexcept;

    /// In a forked worker: close every socket but `keep`, which the worker now owns
    /// (-1: keep none), and forget them all.
    void leave_in_child(int keep) noexcept;

    const std::string& host() const noexcept { return host_; }
    std::uint16_t port() const noexcept { return port_; }
    std::size_t size() const noexcept { return fds_.size(); }

private:
    bool adopt_systemd(balance& mode, int workers);
    void bind_all(const std::string& host, std::uint16_t port, std::size_t count, bool reuseport);

    std::vector<nodus::detail::unique_fd> fds_;
    std::string host_;
    std::uint16_t port_ = 0;
    std::size_t count_ = 1; // sockets open() made: what rebind() makes again
    int backlog_ = 0;
    bool reuseport_ = false; // SO_REUSEPORT on every socket this object binds
};

} // namespace nodus::cluster::detail
