#pragma once
// Framework-internal hooks into a server, for the cluster worker glue.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include <nodus/http/server.hpp>

namespace nodus::http::detail {

struct server_hooks {
    /// After every accepted and every closed connection, with the new open count.
    std::function<void(std::size_t open)> on_count;
    /// Asked before each accept: 0 accepts now; N > 0 waits N microseconds, then asks again.
    /// `taken`: connections this batch took that on_count has not counted yet. (Fair sharing
    /// of one listening socket between forked workers.)
    std::function<unsigned(unsigned taken)> accept_delay;
    /// Graceful close finished (every connection gone).
    std::function<void()> on_closed;
};

/// Install hooks on `srv` (replaces earlier ones). Call before `listen`/`listen_fd`/`serve_adopted`.
void set_hooks(server& srv, server_hooks hooks);

/// Replace the server's [http] settings. Only before `listen`/`listen_fd`/`serve_adopted`.
void reconfigure(server& srv, const http_config& cfg);

/// Serve without a listening socket of its own: connections accepted elsewhere (the
/// cluster master, balance = round_robin) arrive through `adopt`. `port` is what
/// `port()` reports; `on_listening` is called as after `listen`.
void serve_adopted(server& srv, std::uint16_t port);

/// Serve `fd`, a connected TCP socket accepted elsewhere, exactly like a connection the
/// server accepted itself. The server owns `fd` from now on; once a graceful close has
/// finished (or the peer is already gone) it is closed at once.
void adopt(server& srv, int fd);

/// Count this server's requests, bytes and refusals in the framework's metrics.
void count_metrics(server& srv, bool on) noexcept;

/// On SIGTERM (with handle_signals on), keep accepting for `delay` after the stopping hooks
/// ran, then close gracefully: readiness probes see 503 before the listener closes.
void set_close_delay(server& srv, std::chrono::milliseconds delay) noexcept;

/// Keep-alive connections parked right now (idle, held only as a descriptor).
std::size_t parked_connections(const server& srv) noexcept;

/// Make every response from now on carry `Connection: close` and close idle keep-alive
/// connections, without stopping the listener (used when a worker is being retired).
void retire_connections(server& srv);

} // namespace nodus::http::detail
