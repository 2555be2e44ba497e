#pragma once
// One client connection: reads and parses requests, runs one exchange at a time, writes
// the responses in order, and closes politely.
#include "net/detail/drained_read.hpp"
#include "http/detail/body_reader.hpp"
#include "http/detail/buffer_pool.hpp"
#include "http/detail/rate_window.hpp"
#include "http/detail/response_writer.hpp"
#include "http/detail/strict.hpp"
#include "http/detail/wait_lists.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace nodus::detail {
class exchange;
}

struct ssl_st;

namespace nodus::http::detail {

using socket_type =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

class server_impl;

/// Where the connection is in its request cycle.
enum class conn_state : std::uint8_t {
    head, // waiting for (the rest of) a request head
    body, // the current request's body is being read (or discarded)
    waiting, // the request is read; the application is answering
    closing, // no more requests: close once the output is flushed
    lingering, // our side is shut; reading what the client still sends, then close
    closed, // no more I/O; deleted once no operation is pending
};

/// What can still come from the client.
enum class input_state : std::uint8_t {
    open,
    broken, // the byte stream cannot be parsed further (we stopped mid-request)
    eof, // the client half-closed
};

const char* to_string(conn_state s) noexcept;

/// Bytes the connections of this thread have sent with sendfile(2).
std::uint64_t sendfile_bytes() noexcept;

class connection {
public:
    /// Takes `fd`, a connected non-blocking socket whose peer is `remote`. Asio's reactor
    /// learns of it only when the connection must wait for it (attach()).
    connection(server_impl& srv, int fd, const boost::asio::ip::tcp::endpoint& remote) noexcept;
    ~connection();

    void start(bool fresh = true); // fresh: a new connection, not one back from parking
    /// A connection whose first `n` bytes are in the scratch buffer (fresh: a new one, not one
    /// back from parking): served at once, in this turn of the loop.
    void start_with(std::size_t n, bool fresh = true);
    // TLS (connection_tls.cpp): the connection owns `ssl`, bound to its socket
    void set_tls(ssl_st* ssl) noexcept;
    void start_tls(); // a new TLS connection with bytes to read: its handshake begins at once
    ssl_st* take_tls() noexcept; // for parking or an upgrade: the caller owns it
    bool secure() const noexcept { return tls_ != nullptr; }
    void close_now(); // abort: no more I/O
    int release_for_park(); // hand the socket over for parking; -1 on failure
    // hand the socket over to another protocol after `ex` (connection_upgrade.cpp); -1 on failure
    int release_for_upgrade(nodus::detail::exchange& ex, std::string& rest, ssl_st*& tls);
    void retire(); // finish the current exchange, then close
    bool idle() const noexcept;
    void on_timeout(wait_kind k);

    // From the exchange and its handles
    bool res_write(nodus::detail::exchange& ex, std::string_view chunk, bool last);
    bool res_write_head(nodus::detail::exchange& ex);
    void res_abort(nodus::detail::exchange& ex);
    void exchange_unreferenced(nodus::detail::exchange& ex);
    void body_flow_changed(nodus::detail::exchange& ex);
    /// An application callback of `ex` threw (already logged): answer 500, or close once
    /// the head went out; its body is not read any further.
    void callback_failed(nodus::detail::exchange& ex);
    /// The application refused the body mid-way (a decoded size over its limit): no more
    /// of it is read or delivered, and the connection closes after the response.
    void refuse_body(nodus::detail::exchange& ex);
    /// File bodies may go out with sendfile(2): the bytes reach the socket unchanged.
    bool can_sendfile() const noexcept { return tls_ == nullptr; } // sendfile would bypass TLS
    /// Answer `ex` with its head and then `length` bytes of `fd` from `offset`, sent with
    /// sendfile(2) (connection_file.cpp). Takes `fd` (closed when sent or on failure). False
    /// when the response cannot be written (head already sent, ended, connection lost).
    bool res_send_file(nodus::detail::exchange& ex, int fd, std::uint64_t offset, std::uint64_t length);
    std::size_t buffered() const noexcept { return out_.buffered() + file_left_; }
    std::uint32_t served() const noexcept { return served_; }
    bool hot() const noexcept { return hot_; }
    /// Back from the parking lot after `n` requests (0: parked silent, nothing sent yet);
    /// `in_set`: its descriptor is still in the lot's epoll set (disarmed), so parking again
    /// only re-arms it; `nodelay`: TCP_NODELAY is on.
    void back_from_lot(std::uint32_t n, bool in_set, bool nodelay) noexcept {
        served_ = n;
        in_lot_set_ = in_set;
        nodelay_ = nodelay;
        sent_ = n > 0;
    }
    bool in_lot_set() const noexcept { return in_lot_set_; }
    bool nodelay() const noexcept { return nodelay_; }
    conn_state state() const noexcept { return state_; }

    list_hook hook_; // owned by the server's wait_lists
    const boost::asio::ip::tcp::endpoint remote_;

private:
    // reading (connection.cpp)
    void start_read();
    bool attach();
    bool prepare_block();
    void on_read(const boost::system::error_code& ec, std::size_t n);
    static void read_done(void* self, const boost::system::error_code& ec, std::size_t n);
    void on_readable(const boost::system::error_code& ec);
    void on_scratch(std::size_t n);
    void release_in() noexcept;
    void on_eof();
    bool half_close_aborts() const noexcept;
    bool wants_input() const noexcept;
    bool answers_waiting() const noexcept;
    std::size_t process(std::string_view data);
    std::size_t process_head(std::string_view data, bool& complete);
    void advance();
    void tail();
    void schedule();
    // TLS reads and writes (connection_tls.cpp)
    void tls_start_read();
    void tls_on_readable();
    bool tls_read(char* buf, std::size_t cap, std::size_t& n);
    std::size_t tls_send(std::string_view bytes, boost::system::error_code& ec);
    // requests and bodies (connection_exchange.cpp)
    std::size_t begin_whole_exchange(std::string_view buf);
    void begin_exchange(std::string_view head);
    void start_exchange(std::string_view head, const head_info& info);
    nodus::detail::exchange* open_exchange(std::string_view head, const head_info& info);
    void error_response(nodus::detail::exchange& ex, int status);
    std::size_t feed_body(std::string_view data, bool& more);
    void body_failed(int status, std::error_code code);
    void stop_input() noexcept;
    void start_discard(nodus::detail::exchange& ex);
    bool reading_body() const noexcept;
    void body_reading_started();
    bool body_progress(std::size_t n);
    void finish_exchange();
    void detach_exchange(bool aborted);
    void count_exchange(nodus::detail::exchange& ex, bool aborted) noexcept;
    void reject(int status, const char* why, std::string_view head);
    bool retract(nodus::detail::exchange& ex, int status);
    // writing and closing (connection_output.cpp)
    void flush();
    std::size_t plain_send(std::string_view bytes, int flags, boost::system::error_code& ec);
    void before_send() noexcept { // see nodelay_
        if (sent_ && !nodelay_) enable_nodelay();
    }
    void enable_nodelay() noexcept;
    void wait_writable();
    bool send_too_slow(std::size_t n);
    void cut(); // abort with a reset: queued bytes are dropped
    void after_flush();
    void begin_close();
    void teardown();
    void update_wait();
    void release_buffers_if_idle();
    void maybe_delete();
    // file bodies (connection_file.cpp)
    bool send_file_piece();
    void drop_file() noexcept;
    server_fields fields() noexcept;
    void break_input() noexcept {
        if (input_ == input_state::open) input_ = input_state::broken;
    }

    server_impl& srv_;
    // Not open until attach(): a connection that reads its request, answers and closes or
    // parks without waiting never costs an epoll_ctl. Every direct system call uses fd_.
    socket_type sock_;
    int fd_;
    net::detail::drained_read read_op_; // the read of a busy plain connection
    read_buffer in_;
    response_writer out_;
    body_reader body_;
    nodus::detail::exchange* cur_ = nullptr;
    struct head_progress { // only while a request head is incomplete
        partial_scan scan;
        std::size_t searched = 0;
    };
    std::unique_ptr<head_progress> partial_;
    // Where the current exchange's response starts in the output while none of it has
    // left (no flush since it was queued); npos otherwise.
    std::size_t provisional_ = std::string_view::npos;
    // A file body after the output buffer: its descriptor, where the next byte comes from,
    // and how many bytes are still promised (0: none).
    int file_fd_ = -1;
    std::uint64_t file_offset_ = 0;
    std::uint64_t file_left_ = 0;
    clock::time_point body_deadline_{}; // request_timeout_ms after the head, while in body
    rate_window body_rate_; // while the body is being read
    rate_window send_rate_; // while the client keeps the output from draining
    std::uint32_t served_ = 0;
    conn_state state_ = conn_state::head;
    input_state input_ = input_state::open;
    std::uint8_t pending_ = 0; // async operations outstanding
    bool reading_ = false;
    bool writing_ = false;
    bool scheduled_ = false;
    bool in_process_ = false;
    bool keep_alive_ = true;
    bool parked_ = false; // closed because its socket went to the parking lot
    bool in_start_with_ = false; // start_with deletes it when done: teardown posts no step
    bool hot_ = false; // busy enough to keep a read block
    bool in_lot_set_ = false; // see back_from_lot
    // Nagle's algorithm holds a small segment only while an earlier one is unacknowledged
    // (Linux: an earlier small one), so a connection's first send never waits: TCP_NODELAY is
    // set before any later one, and a client that asks once and leaves never pays for it.
    bool nodelay_ = false;
    bool sent_ = false; // some bytes went out on this socket
    bool tls_ready_ = false; // TLS: the handshake has finished
    bool tls_want_write_ = false; // TLS: the last read needs the socket writable to go on
    bool tls_more_ = false; // TLS: the last read returned data, so OpenSSL may hold more
    ssl_st* tls_ = nullptr; // TLS: the connection's SSL object; nullptr for plain HTTP
};

// wait_lists' members run several times per request: defined here, where the
// connection's hook is known, so that they inline.
inline void wait_lists::append(connection* c, wait_kind k) noexcept {
    auto& l = lists_[int(k)];
    auto& h = c->hook_;
    h.kind = k;
    h.prev = l.tail;
    h.next = nullptr;
    if (l.tail) l.tail->hook_.next = c;
    else l.head = c;
    l.tail = c;
    ++l.size;
}

inline void wait_lists::remove(connection* c) noexcept {
    auto& h = c->hook_;
    auto& l = lists_[int(h.kind)];
    if (h.prev) h.prev->hook_.next = h.next;
    else l.head = h.next;
    if (h.next) h.next->hook_.prev = h.prev;
    else l.tail = h.prev;
    h.prev = h.next = nullptr;
    --l.size;
    h.kind = wait_kind::count;
}

inline bool wait_lists::move_to(connection* c, wait_kind k) noexcept {
    if (c->hook_.kind == wait_kind::count) return false;
    remove(c);
    append(c, k);
    if (k != wait_kind::none) c->hook_.deadline = coarse_now() + lists_[int(k)].timeout;
    return true;
}

} // namespace nodus::http::detail
