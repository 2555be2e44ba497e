#pragma once
// The socket under a WebSocket, plain or TLS: non-blocking reads and writes that say "would
// block" instead of waiting, and readiness waits, so that an idle connection has nothing
// pending but one wait. A connection that arrived over TLS keeps speaking it through its SSL
// object (handed over by the HTTP connection, with any bytes OpenSSL had decrypted already).
#include "tls/detail/io.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <utility>

namespace nodus::ws::detail {

using tls_status = nodus::tls::detail::io_status;
using io_result = nodus::tls::detail::io_result;

class ws_socket {
public:
    using socket_type =
        boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

    explicit ws_socket(boost::asio::io_context& ctx) : sock_(ctx) {}
    ws_socket(const ws_socket&) = delete;
    ws_socket& operator=(const ws_socket&) = delete;
    ~ws_socket();

    /// Adopt `fd` (a connected TCP socket); false when Asio refuses it (`fd` is then closed).
    bool assign(int fd, bool v6) noexcept;
    /// Speak TLS through `ssl` (bound to this socket's descriptor; owned from now on).
    void set_tls(ssl_st* ssl) noexcept { tls_ = ssl; }
    bool is_open() const noexcept { return sock_.is_open(); }
    bool is_tls() const noexcept { return tls_ != nullptr; }

    /// Read what is there: ok with n > 0, want_read when nothing is, eof, or error.
    io_result read(char* buf, std::size_t cap) noexcept;
    /// Write what the socket takes now: ok with n > 0, want_write (or want_read, TLS), error.
    io_result write(const char* data, std::size_t len) noexcept;

    /// Call `fn(error_code)` once the socket is readable (`read`) or writable.
    template <class Fn>
    void wait(bool read, Fn&& fn) {
        sock_.async_wait(read ? socket_type::wait_read : socket_type::wait_write, std::forward<Fn>(fn));
    }
    /// Send close_notify (TLS) and end the sending direction; reading goes on.
    void shutdown_send() noexcept;
    /// Close now; pending waits complete with operation_aborted.
    void close() noexcept;

private:
    socket_type sock_;
    ssl_st* tls_ = nullptr;
};

} // namespace nodus::ws::detail
