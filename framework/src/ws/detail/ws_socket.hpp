#pragma once
// The socket under a WebSocket, plain or TLS. A type of its own so that the closing
// handshake's teardown below is chosen over Beast's, and so that a connection that arrived
// over TLS keeps speaking it: its SSL object (handed over by the HTTP connection, with
// any bytes OpenSSL had decrypted already) does the reads and writes, and "want read" /
// "want write" become waits on the socket.
#include "tls/detail/io.hpp"

#include <boost/asio/compose.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/role.hpp>

#include <array>
#include <memory>
#include <utility>

namespace nodus::detail {

namespace ws_asio = boost::asio;
using ws_socket_base = ws_asio::basic_stream_socket<ws_asio::ip::tcp, ws_asio::io_context::executor_type>;

class ws_socket : public ws_socket_base {
public:
    using ws_socket_base::ws_socket_base;
    ws_socket(ws_socket&& o) noexcept : ws_socket_base(std::move(o)), tls_(std::exchange(o.tls_, nullptr)) {}
    ws_socket& operator=(ws_socket&&) = delete;
    ~ws_socket() {
        if (tls_) nodus::tls::detail::free(tls_);
    }

    /// Speak TLS through `ssl` (bound to this socket's descriptor; owned from now on).
    void set_tls(ssl_st* ssl) noexcept { tls_ = ssl; }
    ssl_st* tls() const noexcept { return tls_; }

    template <class Buffers, class Token>
    auto async_read_some(const Buffers& b, Token&& token) {
        if (!tls_) return ws_socket_base::async_read_some(b, std::forward<Token>(token));
        return start_tls_op<false>(first_buffer<ws_asio::mutable_buffer>(b), std::forward<Token>(token));
    }
    template <class Buffers, class Token>
    auto async_write_some(const Buffers& b, Token&& token) {
        if (!tls_) return ws_socket_base::async_write_some(b, std::forward<Token>(token));
        return start_tls_op<true>(first_buffer<ws_asio::const_buffer>(b), std::forward<Token>(token));
    }

private:
    template <class Buffer, class Buffers>
    static Buffer first_buffer(const Buffers& bs) {
        for (auto b : boost::beast::buffers_range_ref(bs))
            if (b.size()) return Buffer(b.data(), b.size());
        return {};
    }

    // One SSL_read or SSL_write, retried after each wait the TLS layer asks for. The first
    // step is posted: a completion handler never runs inside the call that started it.
    template <bool Write, class Buffer>
    struct tls_op {
        ws_socket& s;
        Buffer buf;
        bool started = false;

        template <class Self>
        void operator()(Self& self, boost::system::error_code ec = {}) {
            namespace tls = nodus::tls::detail;
            if (ec) return self.complete(ec, 0);
            if (!started) {
                started = true;
                ws_asio::post(s.get_executor(), std::move(self));
                return;
            }
            if (buf.size() == 0) return self.complete({}, 0);
            auto r = Write ? tls::write(s.tls_, static_cast<const char*>(buf.data()), buf.size())
                           : tls::read(s.tls_, static_cast<char*>(const_cast<void*>(buf.data())), buf.size());
            switch (r.status) {
            case tls::io_status::ok: return self.complete({}, r.n);
            case tls::io_status::want_read: return s.async_wait(wait_read, std::move(self));
            case tls::io_status::want_write: return s.async_wait(wait_write, std::move(self));
            case tls::io_status::eof: return self.complete(ws_asio::error::eof, 0);
            case tls::io_status::error: break;
            }
            self.complete(ws_asio::error::connection_reset, 0);
        }
    };

    template <bool Write, class Buffer, class Token>
    auto start_tls_op(Buffer buf, Token&& token) {
        return ws_asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            tls_op<Write, Buffer>{*this, buf}, token, static_cast<ws_socket_base&>(*this));
    }

    ssl_st* tls_ = nullptr;
};

// Shut the sending side (as the server), read and drop until the peer closes, then close.
// Beast 1.81's TCP teardown stops reading after the first read that returns data and
// closes; a socket closed with unread bytes (the rest of a refused, too large message)
// sends a reset, and the peer may lose the close frame sent just before. Over TLS the
// close_notify goes first.
template <class Handler>
struct ws_teardown_op {
    ws_socket& sock;
    std::unique_ptr<std::array<char, 2048>> buf;
    Handler handler;

    void operator()(boost::system::error_code ec, std::size_t) {
        if (!ec) {
            auto b = ws_asio::buffer(*buf);
            sock.async_read_some(b, std::move(*this));
            return;
        }
        if (ec == ws_asio::error::eof) ec = {};
        boost::system::error_code ignored;
        sock.close(ignored);
        handler(ec);
    }
};

inline void shut_sending(boost::beast::role_type role, ws_socket& sock, boost::system::error_code& ec) {
    if (role != boost::beast::role_type::server) return;
    if (sock.tls()) nodus::tls::detail::shutdown(sock.tls());
    sock.shutdown(ws_asio::socket_base::shutdown_send, ec);
}

template <class Handler>
void async_teardown(boost::beast::role_type role, ws_socket& sock, Handler&& handler) {
    boost::system::error_code ec;
    shut_sending(role, sock, ec);
    ws_teardown_op<std::decay_t<Handler>> op{sock, std::make_unique<std::array<char, 2048>>(),
                                             std::forward<Handler>(handler)};
    auto b = ws_asio::buffer(*op.buf);
    sock.async_read_some(b, std::move(op));
}

void teardown(boost::beast::role_type role, ws_socket& sock, boost::system::error_code& ec);

} // namespace nodus::detail
