#pragma once
#include <nodus/config/config.hpp>
#include <nodus/http/server.hpp>
#include <nodus/loop/loop.hpp>

#include "http/detail/hooks.hpp"
#include "http/detail/strict.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <ctime>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace nodus::http::detail {

using clock = std::chrono::steady_clock;

// Deadlines are kept in milliseconds, so they are stamped with CLOCK_MONOTONIC_COARSE (the same
// clock as steady_clock, read from the vDSO without the TSC): it lags by at most one kernel tick
// (1-4 ms), so a timeout can end that much early, never late.
inline clock::time_point coarse_now() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return clock::time_point(std::chrono::duration_cast<clock::duration>(
        std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}
using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                                     boost::asio::io_context::executor_type>;
using acceptor_type = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp,
                                                         boost::asio::io_context::executor_type>;

class connection;
class server_impl;

// Every connection sits in exactly one of these lists. All connections in a list
// share one timeout, so appending at the tail keeps each list sorted by deadline and
// one timer per server serves them all; moving between lists is O(1), no syscall.
enum class wait_kind : std::uint8_t { none, header, idle, body, send, linger, count };

struct list_hook {
    connection* prev = nullptr;
    connection* next = nullptr;
};

struct conn_list {
    connection* head = nullptr;
    connection* tail = nullptr;
    std::size_t size = 0;
    std::chrono::milliseconds timeout{0};
};

class connection {
public:
    connection(server_impl& srv, socket_type sock) noexcept;
    ~connection();

    void start(bool fresh = true);  // fresh: a new connection, not one back from parking
    void close_now();              // abort: no more I/O
    int release_for_park();        // hand the socket over for parking; -1 on failure
    void retire();                 // finish the current exchange, then close
    bool idle() const noexcept;
    void on_timeout(wait_kind k);

    // From the exchange and its handles
    bool res_write(nodus::detail::exchange& ex, std::string_view chunk, bool last);
    bool res_write_head(nodus::detail::exchange& ex);
    void res_abort(nodus::detail::exchange& ex);
    void exchange_unreferenced(nodus::detail::exchange& ex);
    void body_flow_changed(nodus::detail::exchange& ex);
    std::size_t buffered() const noexcept { return out_.size() - out_pos_; }
    std::uint32_t served() const noexcept { return served_; }
    bool hot() const noexcept { return hot_; }
    void set_served(std::uint32_t n) noexcept { served_ = n; }

    // list membership (owned by server_impl)
    list_hook hook_;
    wait_kind kind_ = wait_kind::none;
    clock::time_point deadline_{};
    boost::asio::ip::tcp::endpoint remote_;

private:
    enum class state : std::uint8_t { head, body, waiting, closing, lingering, closed };

    void start_read();
    void on_read(const boost::system::error_code& ec, std::size_t n);
    void on_readable(const boost::system::error_code& ec);
    void release_in() noexcept;
    void teardown();
    void on_eof();
    bool wants_input() const noexcept;
    std::size_t process(std::string_view data);
    void advance();
    void tail();
    void schedule();
    void begin_exchange(std::string_view head);
    void handler_failed(nodus::detail::exchange& ex, const char* what);
    void error_response(nodus::detail::exchange& ex, int status);
    std::size_t feed_body(std::string_view data, bool& more);
    void body_failed(int status, std::error_code code);
    void start_discard(nodus::detail::exchange& ex);
    void finish_exchange();
    void detach_exchange(bool aborted);
    void reject(int status, const char* why);
    void serialize_head(nodus::detail::exchange& ex, bool last, std::size_t body_size);
    template <class Put>
    void build_head(nodus::detail::exchange& ex, bool last, std::size_t body_size, Put&& put);
    void append(std::string_view bytes);
    void flush();
    void wait_writable();
    void after_flush();
    void begin_close();
    void update_wait();
    void release_buffers_if_idle();
    void maybe_delete();

    server_impl& srv_;
    socket_type sock_;
    struct read_buffer {
        char* data = nullptr;
        std::uint32_t cap = 0, beg = 0, end = 0;
        std::uint32_t unread() const noexcept { return end - beg; }
    };
    read_buffer in_;
    std::string out_;
    std::size_t out_pos_ = 0;
    nodus::detail::exchange* cur_ = nullptr;
    struct head_progress {          // only while a request head is incomplete
        partial_scan scan;
        std::size_t searched = 0;
    };
    std::unique_ptr<head_progress> partial_;
    std::uint64_t discard_budget_ = 0;
    std::uint32_t served_ = 0;
    state state_ = state::head;
    std::uint8_t pending_ = 0;     // async operations outstanding
    bool reading_ = false;
    bool writing_ = false;
    bool scheduled_ = false;
    bool in_process_ = false;
    bool keep_alive_ = true;
    bool discarding_ = false;
    bool peer_eof_ = false;
    bool input_broken_ = false;    // the byte stream cannot be parsed further
    bool close_after_flush_ = false;
    bool parked_ = false;
    bool hot_ = false;             // busy enough to keep a read block
};

// A keep-alive connection idle for a while: just its descriptor, in a side epoll set.
struct parked_conn {
    parked_conn* prev = nullptr;
    parked_conn* next = nullptr;
    clock::time_point deadline;
    int fd = -1;
    std::uint32_t served = 0;
    bool v6 = false;
};

class server_impl {
public:
    server_impl(handler h, http_config cfg);
    ~server_impl();
    void configure(http_config cfg);    // before listening only

    void listen(std::uint16_t port, std::string_view host, int backlog);
    void listen_fd(int fd);
    void serve_adopted(std::uint16_t port);
    void adopt(int fd);
    void close(std::function<void()> done);
    void close_now();
    void retire();
    void handle_signals(bool on);

    // connections
    void add(connection* c, bool fresh = true) noexcept;
    void remove(connection* c) noexcept;
    void append(connection* c, wait_kind k) noexcept;   // at the tail of list k
    void move_to(connection* c, wait_kind k) noexcept;
    void on_connection_gone() noexcept;
    void note_gone() noexcept;          // one connection fewer, without deleting anything

    std::string_view date() noexcept;   // "Thu, 26 Nov 2026 13:45:31 GMT"

    // Parking of idle keep-alive connections
    bool can_park() const noexcept;
    void park(connection* c);

    handler handler_;
    http_config cfg_;
    server_hooks hooks_;
    std::string server_line_;           // "Server: nodus\r\n" or empty
    std::size_t open_ = 0;
    std::size_t parked_ = 0;
    std::size_t parked_since_trim_ = 0;
    std::uint64_t requests_ = 0;
    bool closing_ = false;              // stop: no keep-alive, no new connections
    bool retiring_ = false;
    int handles_ = 1;                   // the public `server` handle
    std::uint16_t port_ = 0;
    std::function<void()> on_listening_;

    void maybe_delete();

private:
    void do_accept();
    void start_connection(socket_type sock, const boost::asio::ip::tcp::endpoint& remote);
    void watch_parked();
    void on_parked_ready();
    void unpark(parked_conn* p);
    void unlink(parked_conn* p) noexcept;
    void close_parked(parked_conn* p) noexcept;
    void close_all_parked(bool spare_pending) noexcept;
    void arm_sweeper(clock::time_point when);
    void sweep();
    void maybe_finish_close();

    boost::asio::io_context& ctx_;
    acceptor_type acceptor_;
    boost::asio::ip::tcp::endpoint accept_ep_;
    boost::asio::steady_timer sweeper_;
    boost::asio::steady_timer accept_delay_;
    boost::asio::steady_timer drain_timer_;
    clock::time_point sweeper_at_{};
    bool sweeper_armed_ = false;
    bool accepting_ = false;
    int pending_ = 0;
    conn_list lists_[static_cast<int>(wait_kind::count)];
    int park_fd_ = -1;
    std::unique_ptr<boost::asio::posix::stream_descriptor> park_watch_;
    bool park_watching_ = false;
    parked_conn* parked_head_ = nullptr;
    parked_conn* parked_tail_ = nullptr;
    std::function<void()> on_closed_;
    bool close_done_ = false;
    signal_handle sigterm_, sigint_;
    int signals_seen_ = 0;
    std::time_t date_second_ = 0;
    char date_[32] = {};
};

} // namespace nodus::http::detail
