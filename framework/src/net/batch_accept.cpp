#include "net/detail/batch_accept.hpp"

#include "net/detail/listener.hpp"
#include "net/detail/socket_access.hpp"
#include "net/detail/socket_calls.hpp"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

namespace nodus::net::detail {

namespace {
namespace ad = boost::asio::detail;
} // namespace

batch_accept::batch_accept(reactor& r, callback cb, void* target) noexcept
    : reactor_op(boost::system::error_code(), &batch_accept::perform, &batch_accept::complete),
      reactor_(r),
      cb_(cb),
      target_(target) {}

void batch_accept::start(tcp_socket& listener, const std::function<unsigned(unsigned)>* hold_off,
                         bool report_empty) {
    auto& impl = socket_access::of(listener);
    listen_fd_ = impl.socket_;
    hold_off_ = hold_off && *hold_off ? hold_off : nullptr;
    n_ = 0;
    report_empty_ = report_empty;
    held_off_ = 0;
    ec_ = {};
    reactor_.start_op(reactor::read_op, impl.socket_, impl.reactor_data_, this, false, true);
}

ad::reactor_op::status batch_accept::perform(reactor_op* base) {
    auto* o = static_cast<batch_accept*>(base);
    // Connections that fail on their own (reset before they were taken) do not count
    // towards the batch, but the attempts are bounded all the same.
    for (int attempt = 0; o->n_ < max_batch && attempt < 2 * max_batch; ++attempt) {
        if (o->n_ > 0 && o->hold_off_) {
            if (unsigned us = (*o->hold_off_)(static_cast<unsigned>(o->n_))) {
                o->held_off_ = us;
                return done;
            }
        }
        auto& peer = o->peers_[o->n_];
        socklen_t len = static_cast<socklen_t>(peer.capacity());
        int fd = accept_some(o->listen_fd_, peer.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            peer.resize(len);
            o->fds_[o->n_++] = fd;
            continue;
        }
        int err = errno;
        if (nodus::detail::accept_error_of_one(err)) continue;
        if (err == EAGAIN || err == EWOULDBLOCK)
            return o->n_ || o->report_empty_ ? done_and_exhausted : not_done;
        o->ec_ = boost::system::error_code(err, boost::system::system_category());
        return done;
    }
    return done; // a full batch: more may wait, and the next one tries at once
}

void batch_accept::complete(void* owner, ad::operation* base, const boost::system::error_code&, std::size_t) {
    auto* o = static_cast<batch_accept*>(base);
    if (!owner) { // the loop is being destroyed with the batch pending
        for (int i = 0; i < o->n_; ++i) ::close(o->fds_[i]);
        o->n_ = 0;
        return;
    }
    o->cb_(o->target_);
}

bool peer_of(int fd, boost::asio::ip::tcp::endpoint& out) noexcept {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 ||
        (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) || len > out.capacity())
        return false;
    std::memcpy(out.data(), &ss, len);
    out.resize(len);
    return true;
}

} // namespace nodus::net::detail
