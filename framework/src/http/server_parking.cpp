// The server's side of parking (detail/parking.hpp): moving idle keep-alive connections
// into the parking lot and back out when their next request arrives.
#include "http/detail/server_impl.hpp"
#include "http/detail/buffer_pool.hpp"
#include "net/detail/socket_calls.hpp"
#include "tls/detail/context.hpp"
#include "tls/detail/io.hpp"

#include <cerrno>

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nodus::http::detail {

namespace asio = boost::asio;

bool server_impl::can_park() const noexcept {
    return cfg_.keep_alive_timeout_ms > park_after_ms + 100 && !closing_ && !retiring_;
}

void server_impl::park(connection* c) {
    // Busy connections park after park_after_ms of idleness, others at once.
    auto idle_left = std::chrono::milliseconds(cfg_.keep_alive_timeout_ms - (c->hot() ? park_after_ms : 0));
    if (!parking_.open()) {
        c->close_now();
        return;
    }
    const auto peer = c->remote_;
    const std::uint32_t served = c->served();
    const park_how how{.in_set = c->in_lot_set(), .nodelay = c->nodelay()};
    ssl_st* ssl = c->take_tls();
    int fd = c->release_for_park();
    if (fd < 0) {
        if (ssl) tls::detail::free(ssl);
        c->close_now();
        return;
    }
    auto deadline = clock::now() + idle_left;
    if (!parking_.add(fd, served, peer, deadline, how, ssl)) {
        note_gone();
        return;
    }
    if (!sweeper_armed_ || deadline < sweeper_at_) arm_sweeper(deadline);
    watch_parked();
}

// A new connection with nothing to read yet: parked at once, so that a client that
// connects and stays silent costs what a parked keep-alive connection costs. It waits
// header_timeout_ms for its first byte, then (back in Asio) as long again for its head.
bool server_impl::park_silent(int fd, const asio::ip::tcp::endpoint& remote) {
    if (closing_ || retiring_ || !parking_.open()) return false;
    if (++open_ > open_peak_) open_peak_ = open_;
    if (hooks_.on_count) hooks_.on_count(open_);
    auto deadline =
        clock::now() + std::chrono::milliseconds(tls_ ? tls_handshake_ms_ : cfg_.header_timeout_ms);
    if (!parking_.add(fd, 0, remote, deadline, {.fresh = true})) {
        note_gone();
        return true;
    }
    if (!sweeper_armed_ || deadline < sweeper_at_) arm_sweeper(deadline);
    watch_parked();
    return true;
}

void server_impl::watch_parked() {
    if (parking_.watching() || parking_.empty()) return;
    ++pending_;
    parking_.watch([this](const boost::system::error_code& ec) {
        // A connection served at once may be deleted at once: the watch still counts as
        // pending while they are served, so the server stays.
        if (!ec) {
            // One that closed without a word needs no connection object to be closed.
            parking_.each_ready([this](parked_conn* p, bool gone) {
                if (gone) close_parked(p);
                else unpark(p, true);
            });
        }
        --pending_;
        if (!ec) watch_parked();
        maybe_delete();
    });
}

// Bytes (or a close) arrived (`reported`), or the server stops: served by a new connection
// object, which enters Asio's reactor only if it must wait (connection::attach).
void server_impl::unpark(parked_conn* p, bool reported) {
    parking_.take(p, reported);
    // A TLS connection parked before its first byte gets its SSL object now.
    ssl_st* ssl = parked_ssl(p);
    if (tls_ && !ssl) ssl = tls_->new_ssl(p->fd);
    if (tls_ && !ssl) {
        ::close(p->fd);
        dispose(p);
        note_gone();
        return;
    }
    // No peer: a reset arrived meanwhile; the first read says so.
    asio::ip::tcp::endpoint remote{p->v6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), 0};
    if (!kept_peer(p, remote)) net::detail::peer_of(p->fd, remote);
    const int fd = p->fd;
    auto* c = new connection(*this, fd, remote);
    c->back_from_lot(p->served, reported, p->nodelay);
    dispose(p);
    if (ssl) {
        c->set_tls(ssl);
        c->start(false);
        return;
    }
    // Its bytes are here (the side set said so): read and served now, like a new connection's
    // first request, so a burst of parked clients that speak at once holds one connection
    // object at a time, not one per client until the next turn of the loop.
    char* scratch = buffers::scratch();
    ssize_t n;
    do n = net::detail::recv_some(fd, scratch, block_size, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0) c->start_with(static_cast<std::size_t>(n), false);
    else c->start(false); // nothing after all, an end or an error: the read sees it
}

void server_impl::close_parked(parked_conn* p) noexcept {
    parking_.close(p);
    note_gone();
}

void server_impl::close_all_parked(bool spare_pending) noexcept {
    // A parked connection whose request is already in the socket is served (with
    // Connection: close) rather than dropped.
    // So is a new connection that has sent nothing yet: its request may be on the way
    // (connection::retire spares it the same way).
    while (auto* p = parking_.oldest()) {
        int unread = 0;
        if (spare_pending && (p->fresh || (::ioctl(p->fd, FIONREAD, &unread) == 0 && unread > 0)))
            unpark(p, false);
        else close_parked(p);
    }
    parking_.cancel_watch();
}

} // namespace nodus::http::detail
