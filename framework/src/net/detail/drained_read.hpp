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

/// Tell Asio two things it cannot know of a descriptor given to it with `assign()`, when
/// `sock` holds a new connection's descriptor (from accept4 with SOCK_NONBLOCK, or one that
/// was parked):
/// - it is non-blocking already: what `non_blocking(true)` records, without its FIONBIO;
/// - no other descriptor refers to its socket (nothing dup'd it), so closing it takes it out
///   of epoll and Asio need not: one `epoll_ctl(DEL)` per connection saved. Asio treats the
///   sockets its own accept makes the same way; only `assign()` assumes a possible dup.
void adopt_descriptor(tcp_socket& sock) noexcept;

class drained_read final : public boost::asio::detail::reactor_op {
public:
    using callback = void (*)(void* target, const boost::system::error_code& ec, std::size_t n);

    drained_read(reactor& r, callback cb, void* target) noexcept;
    drained_read(const drained_read&) = delete;
    drained_read& operator=(const drained_read&) = delete;

    /// Reads at most `size` (> 0) bytes into `data` from `sock`, which must be open and
    /// non-blocking; the callback then runs from the loop, with the bytes read or the error
    /// (`operation_aborted` once the socket is closed).
    ///
    /// The reactor's epoll does not say whether the peer's end of stream came with the bytes
    /// a short read took (Asio asks for no EPOLLRDHUP), and that end makes no new report. So
    /// a read that must see it at once (`eager`: a partial request, a body, a response in
    /// progress) tries the socket itself when the last read emptied it; a read that waits for
    /// a new request on an idle connection does not, and an end of stream that came with the
    /// last request is seen when the idle connection is parked.
    void start(tcp_socket& sock, char* data, std::size_t size, bool eager);

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
    bool skipped_ = false; // the reactor will queue the next read without trying it
    bool full_ = false; // a read of our own filled its buffer: more may wait, unreported
};

} // namespace nodus::net::detail
