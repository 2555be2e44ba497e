#pragma once
// Taking new connections from a listening socket, many per readiness report, on the loop's
// reactor.
//
// Asio's `async_accept` takes one connection per turn of the loop. Waiting for readability
// with `async_wait` instead and accepting in a loop costs an `epoll_ctl` each time the wait
// is armed (Asio re-arms a waited-for descriptor). This operation is queued like Asio's own
// accept (tried at once when the reactor's state says the socket may be ready, else queued
// with no system call) and takes up to max_batch connections each time it runs; when a batch
// ends in EAGAIN it says "done and exhausted", so the next batch waits for epoll's next
// report without trying (as drained_read does for reads).
//
// The operation lives inside its owner; one batch at a time. The owner must outlive it.
#include "net/detail/drained_read.hpp"

#include <functional>

namespace nodus::net::detail {

class batch_accept final : public boost::asio::detail::reactor_op {
public:
    static constexpr int max_batch = 64;
    using callback = void (*)(void* target);

    batch_accept(reactor& r, callback cb, void* target) noexcept;
    batch_accept(const batch_accept&) = delete;
    batch_accept& operator=(const batch_accept&) = delete;

    /// Take up to max_batch connections from `listener` (a listening socket,
    /// open and non-blocking, held as a plain Asio socket: the accepting is ours) once it has
    /// some; the callback then runs from the loop. `hold_off`, when set, is asked before each
    /// connection after the first, with the number taken so far: a non-zero answer (µs) ends
    /// the batch there. `report_empty`: an empty queue ends the batch too (with none taken),
    /// to learn that accepting works again after an error (Linux reports running out of
    /// descriptors before it looks at the queue).
    void start(tcp_socket& listener, const std::function<unsigned(unsigned)>* hold_off = nullptr,
               bool report_empty = false);

    /// After the callback: the connections taken (non-blocking, close-on-exec descriptors the
    /// caller now owns) and their peers.
    int count() const noexcept { return n_; }
    int fd(int i) const noexcept { return fds_[i]; }
    const boost::asio::ip::tcp::endpoint& peer(int i) const noexcept { return peers_[i]; }
    /// The listener's error (not one connection's), or `operation_aborted` once it is closed.
    const boost::system::error_code& error() const noexcept { return ec_; }
    /// The answer of `hold_off` that ended the batch; 0 when it did not.
    unsigned held_off() const noexcept { return held_off_; }

private:
    static status perform(reactor_op* base);
    static void complete(void* owner, boost::asio::detail::operation* base, const boost::system::error_code&,
                         std::size_t);

    reactor& reactor_;
    callback cb_;
    void* target_;
    const std::function<unsigned(unsigned)>* hold_off_ = nullptr;
    int listen_fd_ = -1;
    int n_ = 0;
    bool report_empty_ = false;
    unsigned held_off_ = 0;
    int fds_[max_batch];
    boost::asio::ip::tcp::endpoint peers_[max_batch];
};

/// The peer of the connected socket `fd`, into `out`; false (`out` unchanged) when it has
/// none (the client reset it) or is not TCP over IPv4 or IPv6.
bool peer_of(int fd, boost::asio::ip::tcp::endpoint& out) noexcept;

} // namespace nodus::net::detail
