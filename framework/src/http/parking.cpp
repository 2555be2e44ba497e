#include "http/detail/parking.hpp"

#include <sys/epoll.h>
#include <unistd.h>

namespace nodus::http::detail {

parking_lot::~parking_lot() {
    while (head_) close(head_);
}

bool parking_lot::open() {
    if (fd_ >= 0) return true;
    fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd_ < 0) return false;
    watch_ = std::make_unique<boost::asio::posix::stream_descriptor>(ctx_, fd_);
    return true;
}

bool parking_lot::add(int fd, std::uint32_t served, bool v6, clock::time_point deadline) {
    auto* p = new parked_conn;
    p->fd = fd;
    p->served = served;
    p->v6 = v6;
    p->deadline = deadline;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = p;
    if (::epoll_ctl(fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        ::close(fd);
        delete p;
        return false;
    }
    // Every connection parks for the same time, so the tail has the latest deadline.
    p->prev = tail_;
    if (tail_) tail_->next = p;
    else head_ = p;
    tail_ = p;
    ++size_;
    ++since_trim_;
    return true;
}

void parking_lot::unlink(parked_conn* p) noexcept {
    if (p->prev) p->prev->next = p->next;
    else head_ = p->next;
    if (p->next) p->next->prev = p->prev;
    else tail_ = p->prev;
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
    delete p;
}

void parking_lot::cancel_watch() noexcept {
    if (!watch_) return;
    boost::system::error_code ec;
    watch_->cancel(ec);
}

int parking_lot::poll(parked_conn** out, int max) noexcept {
    epoll_event evs[64];
    int n = ::epoll_wait(fd_, evs, max < 64 ? max : 64, 0);
    for (int i = 0; i < n; ++i) out[i] = static_cast<parked_conn*>(evs[i].data.ptr);
    return n < 0 ? 0 : n;
}

bool parking_lot::trim_due() noexcept {
    if (since_trim_ < 64) return false;
    since_trim_ = 0;
    return true;
}

} // namespace nodus::http::detail
