#pragma once
// The admin listener and its wiring into nodus::app (app.cpp, cluster_glue.cpp).
#include <nodus/config/config.hpp>

#include <chrono>

namespace nodus {
class server;
}

namespace nodus::admin::detail {

/// Single process or cluster master: bind `[admin] host:port` and serve the metrics,
/// health and status endpoints on this loop. `main` is the application's server in a
/// single process (its connections are published), null in a master. Off when
/// `[admin] port = off`. @throws std::system_error when the address cannot be bound.
void start(const config& cfg, server* main);

/// Count `srv`'s requests in the metrics and publish its connections (the application's
/// server, in a single process or a worker), and measure the loop's lag.
void count_server(server& srv);

/// In a worker just forked from the master: close the master's admin listener here.
void leave_in_child() noexcept;

/// health.cpp: this process started serving (readiness can become 200).
void set_listening(bool on) noexcept;
/// The loop-lag limit of liveness.
void set_max_lag(std::chrono::milliseconds limit) noexcept;

} // namespace nodus::admin::detail
