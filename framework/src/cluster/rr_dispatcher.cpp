#include "cluster/detail/rr_dispatcher.hpp"

#include "cluster/detail/state.hpp"
#include "cluster/detail/worker_table.hpp"
#include "ipc/detail/control.hpp"
#include "net/detail/descriptor_table.hpp"
#include "net/detail/listener.hpp"

#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include <sys/socket.h>

namespace nodus::cluster::detail {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

// Connections taken per readiness event before the master lets its loop run other work.
constexpr int accept_batch = 64;

// A worker that took none of the connections it owes for this long has a loop that does
// not turn (stopped, or stuck in a handler) or is far behind: more would wait with it, so
// the others get them until it takes again. A healthy worker takes a whole batch within
// one turn of its loop.
constexpr milliseconds stall_limit{50};

// False while `w` owes connections and has taken none of them for stall_limit.
bool taking(worker_process& w, std::chrono::steady_clock::time_point now) noexcept {
    auto& h = w.rr;
    const std::uint32_t taken = worker_table{}.taken(w.table_index);
    if (taken != h.taken || taken == h.given) {
        h.taken = taken;
        h.progress = now;
        return true;
    }
    return now - h.progress < stall_limit;
}

} // namespace

rr_dispatcher::rr_dispatcher(const std::vector<worker_slot>& slots, std::size_t queue_limit)
    : slots_(slots),
      queue_limit_(queue_limit),
      accept_retry_(nodus::io_context()),
      dispatch_retry_(nodus::io_context()) {}

void rr_dispatcher::open(int listen_fd) {
    if (state_ != accept_state::closed || listen_fd < 0) return;
    listen_fd_ = listen_fd;
    net::detail::reserve_descriptor_table(); // connections pass through while workers take them
    watch_ = std::make_unique<asio::posix::stream_descriptor>(nodus::io_context(), listen_fd);
    state_ = accept_state::accepting;
    on_acceptable();
}

void rr_dispatcher::close(bool drop_queued) noexcept {
    if (watch_) {
        // The socket is the caller's: only stop watching it.
        watch_->release();
        watch_.reset();
    }
    state_ = accept_state::closed;
    listen_fd_ = -1;
    accept_retry_.cancel();
    if (drop_queued) {
        queued_.clear();
        dispatch_pending_ = false;
        dispatch_retry_.cancel();
    }
}

void rr_dispatcher::arm() {
    state_ = accept_state::waiting;
    auto self = shared_from_this();
    watch_->async_wait(asio::posix::descriptor_base::wait_read, [self](const boost::system::error_code& ec) {
        // Aborted: the watch was closed (and perhaps opened again).
        if (ec == asio::error::operation_aborted || self->state_ != accept_state::waiting) return;
        self->state_ = accept_state::accepting;
        if (ec) {
            nodus::log::get().error("cluster: waiting for connections failed: {}", ec.message());
            self->back_off();
            return;
        }
        self->on_acceptable();
    });
}

void rr_dispatcher::on_acceptable() {
    if (state_ != accept_state::accepting) return;
    for (int i = 0; i < accept_batch; ++i) {
        if (queued_.size() >= queue_limit_) {
            state_ = accept_state::paused; // dispatch() resumes once there is room
            return;
        }
        nodus::detail::unique_fd fd{::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK)};
        if (!fd) {
            int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK) {
                // Drained: the socket is registered edge-triggered, so only now may a
                // readiness wait be armed.
                arm();
                return;
            }
            if (nodus::detail::accept_error_of_one(err)) continue;
            nodus::log::get().warn("cluster: accept failed: {}", std::strerror(err));
            back_off();
            return;
        }
        queued_.push_back(std::move(fd));
        dispatch();
    }
    // More may be waiting: go on after whatever else the loop has to do.
    auto self = shared_from_this();
    asio::post(nodus::io_context(), [self] { self->on_acceptable(); });
}

// Out of descriptors or memory: try again in a while instead of spinning on the error.
void rr_dispatcher::back_off() {
    state_ = accept_state::backing_off;
    auto self = shared_from_this();
    accept_retry_.expires_after(milliseconds(100));
    accept_retry_.async_wait([self](const boost::system::error_code& ec) {
        if (ec || self->state_ != accept_state::backing_off) return;
        self->state_ = accept_state::accepting;
        self->on_acceptable();
    });
}

void rr_dispatcher::dispatch() {
    while (!queued_.empty() && pass(queued_.front().get()))
        queued_.pop_front(); // the worker has its own copy now
    if (!queued_.empty()) retry_dispatch_later();
    if (state_ == accept_state::paused && queued_.size() < queue_limit_) {
        state_ = accept_state::accepting;
        on_acceptable();
    }
}

// A worker reporting listening empties the queue at once; one catching up with its
// channel says nothing, so look again shortly.
void rr_dispatcher::retry_dispatch_later() {
    if (dispatch_pending_) return;
    dispatch_pending_ = true;
    auto self = shared_from_this();
    dispatch_retry_.expires_after(milliseconds(20));
    dispatch_retry_.async_wait([self](const boost::system::error_code& ec) {
        if (ec || !self->dispatch_pending_) return;
        self->dispatch_pending_ = false;
        self->dispatch();
    });
}

bool rr_dispatcher::pass(int fd) {
    const std::size_t n = slots_.size();
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t k = (next_slot_ + i) % n;
        if (offer(slots_[k], fd, now)) {
            next_slot_ = (k + 1) % n;
            return true;
        }
    }
    return false;
}

bool rr_dispatcher::offer(const worker_slot& slot, int fd, std::chrono::steady_clock::time_point now) {
    static const std::string msg(1, static_cast<char>(control::connection));
    const auto& w = slot.current;
    if (!w || w->ph != phase::ready || !worker_table{}.accepting(w->table_index)) return false;
    // A full channel (a few hundred connections not even read) is the last resort; the
    // stall rule normally skips such a worker long before.
    if (ipc::detail::queued(w->chan) > 0 || !taking(*w, now)) return false;
    // False when its channel is closed (the worker died): the next one is tried.
    if (!ipc::detail::send_fd(w->chan, ipc::detail::ns::control, msg, fd)) return false;
    ++w->rr.given;
    return true;
}

} // namespace nodus::cluster::detail
