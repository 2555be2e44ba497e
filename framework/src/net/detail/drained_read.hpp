#pragma once
// A read on a TCP socket that tells Asio's reactor when it emptied the socket.
//
// Asio 1.81 tries a read at once whenever one is started and takes a socket for empty only
// when a read returns 0 bytes. A server that answers a request and reads again therefore
// makes two `recv` per request, the second failing with EAGAIN. A read that returned fewer
// bytes than it had room for has emptied the socket, and the reactor's edge-triggered epoll
// reports any byte that arrives after it; so this operation says "done and exhausted" then,
// and the next read is queued without a system call until epoll reports new bytes (as nginx
// does). Everything else is what `async_read_some` does: same reactor, same queue, same
// cancellation on close.
//
// The operation lives inside its owner (no allocation per read); one read at a time. The
// owner must outlive the operation: it learns the end through its callback.
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>

namespace nodus::net::detail {

using tcp_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;
using reactor = boost::asio::detail::reactor;

/// The reactor of a loop (a lookup under a lock: keep it).
reactor& reactor_of(boost::asio::io_context& ctx);

class drained_read final : public boost::asio::detail::reactor_op {
public:
    using callback = void (*)(void* target, const boost::system::error_code& ec, std::size_t n);

    drained_read(reactor& r, callback cb, void* target) noexcept;
    drained_read(const drained_read&) = delete;
    drained_read& operator=(const drained_read&) = delete;

    /// Reads at most `size` (> 0) bytes into `data` from `sock`, which must be open and
    /// non-blocking; the callback then runs from the loop, with the bytes read or the error
    /// (`operation_aborted` once the socket is closed).
    void start(tcp_socket& sock, char* data, std::size_t size);

private:
    static status perform(reactor_op* base);
    static void complete(void* owner, boost::asio::detail::operation* base, const boost::system::error_code&,
                         std::size_t);

    reactor& reactor_;
    callback cb_;
    void* target_;
    char* data_ = nullptr;
    std::size_t size_ = 0;
    int fd_ = -1;
};

} // namespace nodus::net::detail
