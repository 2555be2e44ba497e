#include "http/detail/parking.hpp"
#include "tls/detail/io.hpp"

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

bool parking_lot::add(int fd, std::uint32_t served, bool v6, clock::time_point deadline, bool fresh,
                      ssl_st* tls) {
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
    p->v6 = v6;
    p->fresh = fresh;
    p->deadline = deadline;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = p;
    if (::epoll_ctl(fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
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

void parking_lot::take(parked_conn* p) noexcept {
    ::epoll_ctl(fd_, EPOLL_CTL_DEL, p->fd, nullptr);
    unlink(p);
}

void parking_lot::close(parked_conn* p) noexcept {
    take(p);
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
