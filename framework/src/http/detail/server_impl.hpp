#pragma once
// The server behind a `nodus::server` handle: the listener, the connections'
// deadline lists and their sweeper, the parking lot, and a graceful stop.
#include <nodus/config/config.hpp>
#include <nodus/http/server.hpp>
#include <nodus/loop/loop.hpp>

#include "http/detail/connection.hpp"
#include "net/detail/batch_accept.hpp"
#include "net/detail/unique_fd.hpp"
#include "http/detail/hooks.hpp"
#include "http/detail/parking.hpp"
#include "http/detail/wait_lists.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

namespace nodus::tls::detail {
class context;
}

namespace nodus::http::detail {

// The listening socket: a plain Asio socket, as the accepting is ours (batch_accept).
using acceptor_type = net::detail::tcp_socket;

class server_impl {
public:
    server_impl(handler h, http_config cfg);
    ~server_impl();
    void configure(http_config cfg); // before listening only

    // server.cpp
    void listen(std::uint16_t port, std::string_view host, int backlog);
    void listen_fd(int fd);
    void serve_adopted(std::uint16_t port);
    void adopt(int fd);

    // what connections ask
    const http_config& cfg() const noexcept { return cfg_; }
    const handler& on_request() const noexcept { return handler_; }
    net::detail::reactor& reactor() const noexcept { return reactor_; }
    boost::asio::io_context& context() const noexcept { return ctx_; }
    void count_request() noexcept { ++requests_; }
    server_fields fields() noexcept { return {date(), server_line_}; }
    bool keep_alive_allowed() const noexcept { return !closing_ && !retiring_; }
    /// True when this server's requests are counted in the metrics (metrics::detail::g_http).
    bool counting() const noexcept { return counting_; }
    void set_counting(bool on) noexcept { counting_ = on; }
    /// SIGTERM: how long the listener keeps accepting after the stopping hooks ran (readiness
    /// answers 503 meanwhile), before the graceful close begins.
    void set_close_delay(std::chrono::milliseconds d) noexcept { close_delay_ = d; }

    // what the handle and the hooks ask
    std::uint16_t port() const noexcept { return port_; }
    std::size_t open() const noexcept { return open_; }
    std::uint64_t requests() const noexcept { return requests_; }
    std::uint64_t accept_errors() const noexcept { return accept_errors_; }
    void on_listening(std::function<void()> fn) { on_listening_ = std::move(fn); }
    void set_hooks(server_hooks hooks) { hooks_ = std::move(hooks); }
    /// The public handle let go; the server lives on until it has closed.
    void release_handle() noexcept;

    // connections
    void add(connection* c, bool fresh = true) noexcept;
    void remove(connection* c) noexcept;
    void move_to(connection* c, wait_kind k) noexcept;
    void on_connection_gone() noexcept;
    void note_gone() noexcept; // one connection fewer, without deleting anything

    // server_stop.cpp
    void close(std::function<void()> done);
    void close_now();
    void retire();
    void handle_signals(bool on);
    void maybe_delete();

    // TLS: every connection of this server speaks it (before listening)
    void enable_tls(std::shared_ptr<tls::detail::context> ctx, std::uint32_t handshake_timeout_ms);
    tls::detail::context* tls() const noexcept { return tls_.get(); }

    // server_parking.cpp
    bool can_park() const noexcept;
    void park(connection* c);
    std::size_t parked() const noexcept { return parking_.size(); }

private:
    void serve_listener(nodus::detail::unique_fd fd); // takes a bound, listening socket
    std::string_view date() noexcept; // "Thu, 26 Nov 2026 13:45:31 GMT"
    void do_accept();
    void accepted(); // accept_op_'s batch is in
    void accept_later(std::chrono::microseconds delay);
    void accept_failed(const boost::system::error_code& ec);
    void accept_recovered();
    /// A new connection's descriptor (owned from now on); `non_blocking`: it is already.
    void start_connection(int fd, const boost::asio::ip::tcp::endpoint& remote, bool non_blocking);
    void arm_sweeper(clock::time_point when);
    void sweep();
    void retire_all();
    void maybe_finish_close();
    bool park_silent(int fd, const boost::asio::ip::tcp::endpoint& remote);
    void note_burst_end() noexcept;
    void watch_parked();
    void unpark(parked_conn* p, bool reported);
    void close_parked(parked_conn* p) noexcept;
    void close_all_parked(bool spare_pending) noexcept;

    handler handler_;
    http_config cfg_;
    server_hooks hooks_;
    std::string server_line_; // "Server: nodus\r\n" or empty
    std::size_t open_ = 0;
    std::size_t open_peak_ = 0; // the most open connections since memory was last trimmed
    std::uint64_t requests_ = 0;
    std::uint64_t accept_errors_ = 0;
    std::uint64_t accept_errors_logged_ = 0; // accept_errors_ when the last line was written
    clock::time_point accept_log_after_{}; // no new "accept failed" line before this
    bool handle_alive_ = true; // the public `server` handle
    std::uint16_t port_ = 0;
    std::function<void()> on_listening_;
    boost::asio::io_context& ctx_;
    net::detail::reactor& reactor_;
    acceptor_type acceptor_;
    net::detail::batch_accept accept_op_;
    boost::asio::steady_timer sweeper_;
    boost::asio::steady_timer accept_delay_;
    boost::asio::steady_timer drain_timer_;
    clock::time_point sweeper_at_{};
    bool sweeper_armed_ = false;
    bool accepting_ = false;
    bool closing_ = false; // stop: no keep-alive, no new connections
    bool retiring_ = false;
    bool close_done_ = false;
    bool counting_ = false;
    std::chrono::milliseconds close_delay_{0};
    nodus::timer close_delay_timer_;
    int pending_ = 0;
    wait_lists lists_;
    parking_lot parking_;
    std::function<void()> on_closed_;
    signal_handle sigterm_, sigint_;
    int signals_seen_ = 0;
    std::shared_ptr<tls::detail::context> tls_;
    std::uint32_t tls_handshake_ms_ = 0;
    std::time_t date_second_ = 0;
    char date_[32] = {};
};

/// The way from the public handle to its server, for the framework only.
struct server_access {
    static server_impl* impl(const server& s) noexcept { return s.impl_; }
};

} // namespace nodus::http::detail
