#include "http/detail/parking.hpp"
#include "tls/detail/io.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace nodus::http::detail {

void dispose(parked_conn* p) noexcept {
    if (p->tls) delete static_cast<parked_tls_conn*>(p);
    else delete p;
}

parking_lot::~parking_lot() {
    while (auto* p = oldest()) close(p);
}

bool parking_lot::open() {
    if (fd_ >= 0) return true;
    fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd_ < 0) return false;
    watch_ = std::make_unique<boost::asio::posix::stream_descriptor>(ctx_, fd_);
    return true;
}

bool kept_peer(const parked_conn* p, boost::asio::ip::tcp::endpoint& out) noexcept {
    if (p->v4_port == 0) return false;
    auto* sa = reinterpret_cast<sockaddr_in*>(out.data());
    *sa = {};
    sa->sin_family = AF_INET;
    sa->sin_port = p->v4_port;
    sa->sin_addr.s_addr = p->v4_addr;
    out.resize(sizeof(sockaddr_in));
    return true;
}

bool parking_lot::add(int fd, std::uint32_t served, const boost::asio::ip::tcp::endpoint& peer,
                      clock::time_point deadline, park_how h, ssl_st* tls) {
    const bool fresh = h.fresh;
    parked_conn* p;
    if (tls) {
        auto* t = new parked_tls_conn;
        t->ssl = tls;
        t->tls = true;
        p = t;
    } else {
        p = new parked_conn;
    }
    p->fd = fd;
    p->served = served;
    p->v6 = peer.address().is_v6();
    if (!p->v6 && peer.port() != 0) {
        auto* sa = reinterpret_cast<const sockaddr_in*>(peer.data());
        p->v4_addr = sa->sin_addr.s_addr;
        p->v4_port = sa->sin_port;
    }
    p->fresh = fresh;
    p->nodelay = h.nodelay;
    p->deadline = deadline;
    // One-shot: a report disarms the watch, so a connection brought back need not be taken
    // out of the set (take) and one parked again is only re-armed. MOD fails if the set lost
    // it meanwhile (a new lot after a stop): then it is added.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
    ev.data.ptr = p;
    if ((!h.in_set || ::epoll_ctl(fd_, EPOLL_CTL_MOD, fd, &ev) != 0) && ::epoll_ctl(fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        ::close(fd);
        if (tls) tls::detail::free(tls);
        dispose(p);
        return false;
    }
    // Every connection of a list parks for the same time, so its tail has the latest deadline.
    auto& head = head_[fresh];
    auto& tail = tail_[fresh];
    p->prev = tail;
    if (tail) tail->next = p;
    else head = p;
    tail = p;
    ++size_;
    ++since_trim_;
    return true;
}

void parking_lot::unlink(parked_conn* p) noexcept {
    if (p->prev) p->prev->next = p->next;
    else head_[p->fresh] = p->next;
    if (p->next) p->next->prev = p->prev;
    else tail_[p->fresh] = p->prev;
    p->prev = p->next = nullptr;
    --size_;
}

void parking_lot::take(parked_conn* p, bool reported) noexcept {
    if (!reported) ::epoll_ctl(fd_, EPOLL_CTL_DEL, p->fd, nullptr);
    unlink(p);
}

void parking_lot::close(parked_conn* p) noexcept {
    unlink(p);
    ::close(p->fd);
    if (auto* ssl = parked_ssl(p)) tls::detail::free(ssl);
    dispose(p);
}

void parking_lot::cancel_watch() noexcept {
    if (!watch_) return;
    boost::system::error_code ec;
    watch_->cancel(ec);
}

int parking_lot::poll(ready_conn* out, int max) noexcept {
    epoll_event evs[64];
    int n = ::epoll_wait(fd_, evs, max < 64 ? max : 64, 0);
    for (int i = 0; i < n; ++i) {
        auto* p = static_cast<parked_conn*>(evs[i].data.ptr);
        bool gone = (evs[i].events & (EPOLLHUP | EPOLLERR)) != 0;
        // A close with bytes before it (a request, then shutdown) is still served.
        int unread = 0;
        if (!gone && (evs[i].events & EPOLLRDHUP))
            gone = ::ioctl(p->fd, FIONREAD, &unread) == 0 && unread == 0;
        out[i] = {p, gone};
    }
    return n < 0 ? 0 : n;
}

bool parking_lot::trim_due() noexcept {
    if (since_trim_ < 64) return false;
    since_trim_ = 0;
    return true;
}

} // namespace nodus::http::detail
