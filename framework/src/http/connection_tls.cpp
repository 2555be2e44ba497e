// The connection's TLS seam: the same pipeline, with SSL_read and SSL_write where a plain
// connection reads and sends. OpenSSL works on the non-blocking socket itself (its
// descriptor bound to the SSL object), so the connection keeps its own buffers, its
// scratch-buffer reads and its direct sends; "want read" and "want write" become waits
// for readability and writability. Decrypted bytes OpenSSL still holds (a record larger
// than the room read into) are read without waiting, since the socket may never become
// readable for them.
#include "http/detail/connection.hpp"
#include "http/detail/server_impl.hpp"
#include "tls/detail/io.hpp"

#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <boost/asio/post.hpp>

#include <utility>

namespace nodus::http::detail {

namespace asio = boost::asio;
namespace tls = nodus::tls::detail;

void connection::set_tls(ssl_st* ssl) noexcept {
    tls_ = ssl;
    // The handshake is several flights (and TLS 1.3 sends tickets after it): no lazy Nagle.
    if (!nodelay_) enable_nodelay();
    tls_ready_ = tls::handshake_done(ssl);
}

ssl_st* connection::take_tls() noexcept {
    tls_ready_ = false;
    return std::exchange(tls_, nullptr);
}

void connection::start_tls() {
    srv_.add(this, true);
    keep_alive_ = srv_.keep_alive_allowed();
    update_wait();
    tls_on_readable();
    maybe_delete();
}

void connection::tls_start_read() {
    if (!attach()) return;
    reading_ = true;
    ++pending_;
    auto resume = [this](const boost::system::error_code& ec) {
        --pending_;
        reading_ = false;
        if (state_ != conn_state::closed) {
            if (ec) close_now();
            else tls_on_readable();
        }
        maybe_delete();
    };
    // Only after a read that returned data: bytes OpenSSL holds after "want read" are an
    // incomplete record, which only the socket can complete.
    if (tls_more_ && tls::has_pending(tls_)) {
        asio::post(sock_.get_executor(), [resume] { resume({}); });
        return;
    }
    sock_.async_wait(tls_want_write_ ? socket_type::wait_write : socket_type::wait_read, resume);
}

// Like a plain connection: into the loop's scratch buffer while nothing is buffered and the
// connection is not busy, into its own block otherwise.
void connection::tls_on_readable() {
    std::size_t n = 0;
    if (!hot_ && state_ != conn_state::body && !in_.unread()) {
        release_in();
        if (tls_read(buffers::scratch(), block_size, n)) on_scratch(n);
        return;
    }
    if (!prepare_block()) return;
    if (tls_read(in_.data + in_.end, in_.cap - in_.end, n)) on_read({}, n);
}

// True with `n` bytes read; otherwise what came instead is handled (a wait, the end, an error).
bool connection::tls_read(char* buf, std::size_t cap, std::size_t& n) {
    auto r = tls::read(tls_, buf, cap);
    tls_want_write_ = r.status == tls::io_status::want_write;
    tls_more_ = r.status == tls::io_status::ok;
    switch (r.status) {
    case tls::io_status::ok:
        tls_ready_ = true;
        n = r.n;
        return true;
    case tls::io_status::want_read:
    case tls::io_status::want_write:
        if (!tls_ready_ && tls::handshake_done(tls_)) {
            tls_ready_ = true;
            update_wait();
        }
        start_read();
        return false;
    case tls::io_status::eof:
        if (!tls_ready_)
            log::get().debug("TLS client {} left during the handshake", remote_.address().to_string());
        on_eof();
        return false;
    case tls::io_status::error: break;
    }
    // A client's mistake (plain HTTP to this port, an old protocol version, no shared
    // cipher, a refused certificate): worth a line, not a warning.
    if (!tls_ready_)
        log::get().info("TLS handshake with {} failed: {}", remote_.address().to_string(), tls::last_error());
    else
        log::get().debug("TLS error on a connection from {}: {}", remote_.address().to_string(),
                         tls::last_error());
    close_now();
    return false;
}

std::size_t connection::tls_send(std::string_view bytes, boost::system::error_code& ec) {
    auto r = tls::write(tls_, bytes.data(), bytes.size());
    if (r.status == tls::io_status::ok) return r.n;
    if (r.status == tls::io_status::want_write) {
        ec = asio::error::would_block;
    } else {
        log::get().debug("TLS write to {} failed: {}", remote_.address().to_string(), tls::last_error());
        ec = asio::error::connection_reset;
    }
    return 0;
}

} // namespace nodus::http::detail
