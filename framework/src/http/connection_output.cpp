// The connection's output side (responses queued by the handles, written with direct
// non-blocking sends), its timeouts and its end: closing, lingering, parking, deletion.
#include "http/detail/connection.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"
#include "metrics/detail/http_stats.hpp"
#include "net/detail/socket_calls.hpp"
#include "tls/detail/io.hpp"

#include <nodus/http/error.hpp>
#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <boost/asio/post.hpp>

#include <cerrno>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nodus::http::detail {

namespace asio = boost::asio;
using nodus::detail::exchange;

namespace {
constexpr std::uint64_t small_file_body = 64 * 1024;
} // namespace

server_fields connection::fields() noexcept { return srv_.fields(); }

bool connection::res_write_head(exchange& ex) {
    if (&ex != cur_ || state_ == conn_state::closed) return false;
    provisional_ = out_.mark();
    keep_alive_ = out_.head(ex, fields(), keep_alive_, false, 0);
    if (!in_process_) schedule();
    return true;
}

bool connection::res_write(exchange& ex, std::string_view chunk, bool last) {
    if (&ex != cur_ || state_ == conn_state::closed || ex.res().ended()) return false;
    // A body nobody will read: drop it (or plan to close) before the head says so.
    if (last && !ex.body().done() && !ex.body().asked() && state_ == conn_state::body) start_discard(ex);
    if (!ex.res().head_sent()) {
        provisional_ = out_.mark();
        keep_alive_ = out_.head(ex, fields(), keep_alive_, last, chunk.size());
    }
    if (!out_.body(ex, chunk, last)) keep_alive_ = false;
    if (!in_process_) schedule();
    if (last) return true;
    if (buffered() >= srv_.cfg().high_water_mark) {
        ex.res().set_need_drain();
        return false;
    }
    return true;
}

void connection::res_abort(exchange& ex) {
    if (&ex != cur_) return;
    close_now();
}

// ------------------------------------------------------------------ writing

void connection::flush() {
    provisional_ = std::string_view::npos;
    while (out_.buffered()) {
        boost::system::error_code ec;
        auto bytes = out_.unsent();
        // A head with a small file body after it: MSG_MORE lets both leave in one segment
        // (measured: 4 KiB files cost a quarter less CPU). Not for large files, where it
        // tripled the kernel's CPU per request (as nginx's tcp_nopush does here).
        std::size_t n = tls_ ? tls_send(bytes, ec)
                             : plain_send(bytes, file_left_ && file_left_ <= small_file_body ? MSG_MORE : 0, ec);
        if (srv_.counting()) metrics::detail::g_http.bytes_out += n;
        // A short TLS write is one record sent, not a full socket: only want_write says that.
        if (ec ? ec == asio::error::would_block : n < bytes.size() && !tls_) {
            out_.sent(n);
            out_.compact();
            if (send_too_slow(n)) {
                cut();
                return;
            }
            if (n) srv_.move_to(this, wait_kind::send);
            wait_writable();
            return;
        }
        if (ec) {
            close_now();
            return;
        }
        out_.sent(n);
        if (send_rate_.is_open() && send_too_slow(n)) {
            cut();
            return;
        }
    }
    out_.all_sent();
    if (file_left_ && !send_file_piece()) return;
    after_flush();
    // Nothing more to send right now: the application, not the client, sets the pace.
    if (send_rate_.is_open() && !buffered()) send_rate_.close();
}

void connection::enable_nodelay() noexcept {
    int on = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    nodelay_ = true;
}

std::size_t connection::plain_send(std::string_view bytes, int flags, boost::system::error_code& ec) {
    before_send();
    ssize_t n;
    do n = net::detail::send_some(fd_, bytes.data(), bytes.size(), flags | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n > 0) sent_ = true;
    if (n >= 0) return static_cast<std::size_t>(n);
    ec = errno == EAGAIN || errno == EWOULDBLOCK ? asio::error::would_block
                                                 : boost::system::error_code(errno, boost::system::system_category());
    return 0;
}

// `n` more bytes left. The window opens when the socket is first full and stays open while
// the application keeps the output busy, so it measures how fast the client reads; an
// application that writes slowly is never the client's fault. True when the client reads
// slower than min_send_rate after the grace.
bool connection::send_too_slow(std::size_t n) {
    auto& cfg = srv_.cfg();
    auto now = coarse_now();
    if (!send_rate_.is_open()) {
        send_rate_.open(now);
        return false;
    }
    if (!send_rate_.too_slow(n, now, std::chrono::milliseconds(cfg.min_rate_grace_ms), cfg.min_send_rate))
        return false;
    log::get().info("closing a connection whose client reads slower than min_send_rate ({} bytes/s)",
                    cfg.min_send_rate);
    return true;
}

void connection::wait_writable() {
    if (writing_ || !attach()) return;
    writing_ = true;
    ++pending_;
    update_wait();
    sock_.async_wait(socket_type::wait_write, [this](const boost::system::error_code& ec) {
        --pending_;
        writing_ = false;
        if (state_ != conn_state::closed) {
            if (ec) close_now();
            else {
                flush();
                advance();
            }
        }
        maybe_delete();
    });
}

void connection::after_flush() {
    if (!cur_ || buffered() >= srv_.cfg().high_water_mark) return;
    if (auto fn = cur_->res().take_drain()) {
        nodus::detail::exchange_ptr hold{cur_};
        nodus::detail::guarded(*hold, "on_drain", fn);
    }
}

// ------------------------------------------------------------------ closing

void connection::begin_close() {
    if (state_ == conn_state::closed || state_ == conn_state::lingering) return;
    detach_exchange(false);
    if (input_ == input_state::eof) {
        close_now();
        return;
    }
    if (tls_) tls::detail::shutdown(tls_);
    // Linger only when the client may still be sending (we stopped reading mid-stream,
    // or bytes are waiting): closing with unread data would reset the connection and
    // could destroy the response before the client reads it. Otherwise close() alone sends
    // the end of the stream after the response, as a shutdown would.
    int unread = 0;
    bool may_send = input_ == input_state::broken || in_.unread() ||
        (::ioctl(fd_, FIONREAD, &unread) == 0 && unread > 0);
    if (!may_send || ::shutdown(fd_, SHUT_WR) != 0) {
        close_now();
        return;
    }
    state_ = conn_state::lingering;
    in_.beg = in_.end = 0;
    update_wait();
    start_read();
}

// A client too slow to read: reset rather than close, or the kernel would go on feeding it
// everything still queued in the socket, at its pace, for as long as that takes.
void connection::cut() {
    ::linger reset{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close_now();
}

void connection::close_now() {
    if (state_ == conn_state::closed) return;
    detach_exchange(true);
    state_ = conn_state::closed;
    // Asio's close cancels what waits on the socket (its handlers see operation_aborted).
    boost::system::error_code ec;
    if (sock_.is_open()) sock_.close(ec);
    else net::detail::close_descriptor(fd_);
    fd_ = -1;
    teardown();
}

// After the socket was closed or released: out of the lists, buffers back to the pools
// (a cancelled read never touches its buffer again), and deletion left to the
// completion handlers and one posted step, so no caller up the stack ever returns into
// a freed connection (start_with is such a caller itself, at the top of the stack).
void connection::teardown() {
    srv_.remove(this);
    release_in();
    out_.release();
    drop_file();
    if (in_start_with_) return;
    ++pending_;
    asio::post(sock_.get_executor(), [this] {
        --pending_;
        maybe_delete();
    });
}

void connection::retire() {
    keep_alive_ = false;
    // A connection accepted a moment ago has its first request on the way, and an idle
    // one may have bytes in the socket we have not looked at yet: let both be answered
    // (with Connection: close) rather than dropped.
    int unread = 0;
    if (served_ == 0 || (::ioctl(fd_, FIONREAD, &unread) == 0 && unread > 0)) return;
    if (idle()) {
        state_ = conn_state::closing;
        schedule();
    }
}

void connection::maybe_delete() {
    if (state_ == conn_state::closed && pending_ == 0) {
        auto& srv = srv_;
        bool parked = parked_;
        delete this;
        if (!parked) srv.on_connection_gone();
        else srv.maybe_delete();
    }
}

int connection::release_for_park() {
    boost::system::error_code ec;
    // release() cancels the pending read (its handler runs later with operation_aborted)
    // and hands the descriptor over without closing it.
    int fd = sock_.is_open() ? sock_.release(ec) : fd_;
    if (ec) return -1;
    fd_ = -1;
    state_ = conn_state::closed;
    parked_ = true;
    teardown();
    return fd;
}

void connection::on_timeout(wait_kind k) {
    log::get().debug("connection timed out: waited for {} in state {}", to_string(k), to_string(state_));
    switch (k) {
    case wait_kind::idle:
        if (srv_.can_park()) srv_.park(this);
        else close_now();
        break;
    case wait_kind::header:
        if (in_.unread()) reject(408, "request head timed out", {in_.data + in_.beg, in_.unread()});
        else close_now();
        break;
    case wait_kind::body:
        // Idle while being read, or over request_timeout_ms; while the application holds the
        // body only the latter counts.
        if (!cur_) close_now();
        else if (reading_body() || coarse_now() >= body_deadline_)
            body_failed(408, make_error_code(nodus::errc::timeout));
        else srv_.move_to(this, wait_kind::body);
        break;
    default: close_now(); break;
    }
}

void connection::update_wait() {
    if (state_ == conn_state::closed) return;
    wait_kind k = wait_kind::none;
    switch (state_) {
    case conn_state::head:
        k = (in_.unread() || served_ == 0) ? wait_kind::header : wait_kind::idle;
        if (tls_ && !tls_ready_) k = wait_kind::handshake;
        break;
    case conn_state::body: k = wait_kind::body; break;
    case conn_state::lingering: k = wait_kind::linger; break;
    default: k = wait_kind::none; break;
    }
    if (writing_ || file_left_) k = wait_kind::send;
    // A busy connection is read and answered without leaving the idle list (that would cost
    // two moves and a clock read per request): the sweep sees from `served` that it answered
    // since, and starts its idle time again then.
    if (k != hook_.kind) {
        hook_.served = served_;
        srv_.move_to(this, k);
    }
}

void connection::release_buffers_if_idle() {
    // The read block stays while a read is pending into it; parking returns it.
    if (state_ != conn_state::head || cur_ || buffered()) return;
    // A busy connection keeps a small output buffer for its next response, as it keeps its
    // read block: handing it to the pool and back costs more than the response's head.
    if (hot_ && out_.capacity() <= block_size) return;
    out_.release();
}

} // namespace nodus::http::detail
