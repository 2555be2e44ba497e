#include "net/detail/drained_read.hpp"
#include "net/detail/socket_access.hpp"
#include "net/detail/socket_calls.hpp"

#include <boost/asio/detail/socket_ops.hpp>

#include <cerrno>

namespace nodus::net::detail {

namespace {
namespace ad = boost::asio::detail;

// What Asio's non_blocking_recv1 does on a stream, through recv_some: true when the read is
// done (bytes, or the end of the stream or an error in `ec`), false when the socket is empty.
bool try_recv(int fd, char* data, std::size_t size, boost::system::error_code& ec, std::size_t& n) noexcept {
    for (;;) {
        const ssize_t r = recv_some(fd, data, size, 0);
        if (r > 0) {
            ec = {};
            n = static_cast<std::size_t>(r);
            return true;
        }
        n = 0;
        if (r == 0) {
            ec = boost::asio::error::eof;
            return true;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
        ec = boost::system::error_code(errno, boost::asio::error::get_system_category());
        return true;
    }
}

} // namespace

reactor& reactor_of(boost::asio::io_context& ctx) { return boost::asio::use_service<reactor>(ctx); }

void adopt_descriptor(tcp_socket& sock) noexcept {
    auto& state = socket_access::of(sock).state_;
    state = static_cast<ad::socket_ops::state_type>((state | ad::socket_ops::non_blocking) &
                                                    ~ad::socket_ops::possible_dup);
}

drained_read::drained_read(reactor& r, callback cb, void* target) noexcept
    : reactor_op(boost::system::error_code(), &drained_read::perform, &drained_read::complete),
      reactor_(r),
      cb_(cb),
      target_(target) {}

void drained_read::start(tcp_socket& sock, char* data, std::size_t size, bool eager) {
    auto& impl = socket_access::of(sock);
    data_ = data;
    size_ = size;
    fd_ = impl.socket_;
    ec_ = {};
    bytes_transferred_ = 0;
    if (!(impl.state_ & ad::socket_ops::non_blocking) &&
        !ad::socket_ops::set_internal_non_blocking(impl.socket_, impl.state_, true, ec_)) {
        reactor_.post_immediate_completion(this, false);
        return;
    }
    // The reactor would not try this read; try it here when it must see an end of stream
    // already in the socket, or when our own last read left bytes behind.
    if (skipped_ && (eager || full_)) {
        if (try_recv(fd_, data_, size_, ec_, bytes_transferred_)) {
            full_ = !ec_ && bytes_transferred_ == size_;
            reactor_.post_immediate_completion(this, false);
            return;
        }
        full_ = false; // empty: queued below, for epoll's next report
        ec_ = {};
    }
    reactor_.start_op(reactor::read_op, impl.socket_, impl.reactor_data_, this, false, true);
}

ad::reactor_op::status drained_read::perform(reactor_op* base) {
    auto* o = static_cast<drained_read*>(base);
    // The reactor runs this when it tries the socket (its flag then says "try"), and takes
    // "done_and_exhausted" as "do not try the next read until epoll reports more".
    o->skipped_ = false;
    o->full_ = false;
    if (!try_recv(o->fd_, o->data_, o->size_, o->ec_, o->bytes_transferred_))
        return not_done;
    // Short (an error or the end of the stream included, as Asio counts those): the socket
    // is empty until epoll reports more.
    if (o->bytes_transferred_ < o->size_) {
        o->skipped_ = true;
        return done_and_exhausted;
    }
    return done;
}

void drained_read::complete(void* owner, ad::operation* base, const boost::system::error_code&, std::size_t) {
    auto* o = static_cast<drained_read*>(base);
    if (!owner) return; // the loop is being destroyed with the read pending
    o->cb_(o->target_, o->ec_, o->bytes_transferred_);
}

} // namespace nodus::net::detail
