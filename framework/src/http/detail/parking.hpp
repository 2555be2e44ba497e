#pragma once
// Parking of idle keep-alive connections, and of new connections that have sent nothing
// yet: a parked connection is just its descriptor in a side epoll set (no connection
// object, no buffer, no Asio per-socket state), kept in deadline order. The server brings
// one back into Asio when bytes (or a close) arrive.
#include "http/detail/wait_lists.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>

struct ssl_st;

namespace nodus::http::detail {

/// A keep-alive connection idle this long is parked (busy connections; others at once).
inline constexpr std::uint32_t park_after_ms = 1000;

struct parked_conn {
    parked_conn* prev = nullptr;
    parked_conn* next = nullptr;
    clock::time_point deadline;
    int fd = -1;
    std::uint32_t served = 0;
    // An IPv4 peer, in network order, where the record had padding: bringing the connection
    // back then asks no getpeername. Port 0: not kept (an IPv6 peer).
    std::uint32_t v4_addr = 0;
    std::uint16_t v4_port = 0;
    bool v6 : 1 = false;
    bool fresh : 1 = false; // accepted, nothing received yet: waits for its head, not idle
    bool tls : 1 = false; // a parked_tls_conn
    bool nodelay : 1 = false; // TCP_NODELAY is on
};
// One 48-byte heap chunk per parked connection, as before the peer was kept.
static_assert(sizeof(parked_conn) <= 40);

/// The peer kept in `p`; false for one not kept (IPv6).
bool kept_peer(const parked_conn* p, boost::asio::ip::tcp::endpoint& out) noexcept;

// A TLS connection keeps its SSL object (session keys and state; OpenSSL released its
// record buffers) while parked; a plain one does not pay for the pointer.
struct parked_tls_conn : parked_conn {
    ssl_st* ssl = nullptr;
};

/// The SSL object of a parked connection; nullptr for plain HTTP (or TLS not begun).
inline ssl_st* parked_ssl(const parked_conn* p) noexcept {
    return p->tls ? static_cast<const parked_tls_conn*>(p)->ssl : nullptr;
}

/// Free a record taken out of the lot (its descriptor and SSL object are the caller's).
void dispose(parked_conn* p) noexcept;

/// How a connection parks.
struct park_how {
    bool fresh = false; // a new connection that has sent nothing (its own list: its timeout differs)
    bool in_set = false; // it came back from this lot by a report (take with `reported`): re-armed
    bool nodelay = false; // TCP_NODELAY is on (kept for when it comes back)
};

class parking_lot {
public:
    explicit parking_lot(boost::asio::io_context& ctx) noexcept : ctx_(ctx) {}
    parking_lot(const parking_lot&) = delete;
    parking_lot& operator=(const parking_lot&) = delete;
    ~parking_lot();

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    /// The one whose deadline comes first.
    parked_conn* oldest() const noexcept {
        auto* a = head_[0];
        auto* b = head_[1];
        return !a ? b : !b ? a : (b->deadline < a->deadline ? b : a);
    }

    /// Create the epoll set on first use; false when the system refuses.
    bool open();
    /// Park `fd` (and its SSL object `tls`, owned from now on), whose peer is `peer`, until
    /// `deadline`; false (and both freed) when epoll refuses it.
    bool add(int fd, std::uint32_t served, const boost::asio::ip::tcp::endpoint& peer, clock::time_point deadline,
             park_how h = {}, ssl_st* tls = nullptr);
    /// Out of the lot; the caller owns the descriptor and must dispose of `p`. `reported`:
    /// each_ready just reported `p`, which disarmed its one-shot watch: the descriptor stays
    /// in the epoll set, silent, until it closes or parks again (no epoll_ctl now). Otherwise
    /// it is taken out of the set.
    void take(parked_conn* p, bool reported) noexcept;
    /// Out of the lot, descriptor closed (which takes it out of the epoll set), SSL object
    /// freed, `p` deleted.
    void close(parked_conn* p) noexcept;

    /// Wait (once) until some parked descriptor is ready; `fn(error_code)`.
    template <class F>
    void watch(F&& fn) {
        watching_ = true;
        watch_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                           [this, fn = std::forward<F>(fn)](const boost::system::error_code& ec) mutable {
                               watching_ = false;
                               fn(ec);
                           });
    }
    bool watching() const noexcept { return watching_; }
    void cancel_watch() noexcept;
    /// Call `fn(parked_conn*, bool gone)` for each descriptor that is ready now, up to 1,024
    /// of them (64 per epoll_wait): 64 per wake-up left a burst of speaking clients waiting
    /// one loop turn per 64 of them; the bound keeps a flood from holding up the connections
    /// in Asio. `gone`: the peer closed or reset and sent nothing first, so there is nothing
    /// to serve.
    template <class F>
    void each_ready(F&& fn) {
        for (int round = 0; round < 16; ++round) {
            ready_conn ready[64];
            int n = poll(ready, 64);
            for (int i = 0; i < n; ++i) fn(ready[i].p, ready[i].gone);
            if (n < 64) break;
        }
    }

    /// True once many connections were parked since the last call: time to give freed
    /// memory back to the system.
    bool trim_due() noexcept;

private:
    struct ready_conn {
        parked_conn* p;
        bool gone;
    };
    int poll(ready_conn* out, int max) noexcept;
    void unlink(parked_conn* p) noexcept;

    boost::asio::io_context& ctx_;
    int fd_ = -1;
    std::unique_ptr<boost::asio::posix::stream_descriptor> watch_; // owns fd_
    bool watching_ = false;
    // Two lists, idle and fresh: each has one timeout, so appending keeps it sorted.
    parked_conn* head_[2] = {};
    parked_conn* tail_[2] = {};
    std::size_t size_ = 0;
    std::size_t since_trim_ = 0;
};

} // namespace nodus::http::detail
