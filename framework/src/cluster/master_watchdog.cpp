// The master's watchdog ([cluster] watchdog_ms): a ready worker it has not heard from for
// that long has a loop that no longer turns (stopped, or a handler that never returns).
// Its connections are lost either way; killing it lets a replacement take its slot and,
// with balance = reuseport, the connections the kernel keeps hashing to that slot's socket.
#include "cluster/detail/master.hpp"

#include <nodus/log/log.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include <signal.h>

namespace nodus::cluster::detail {

namespace {
spdlog::logger& lg() { return nodus::log::get(); }
} // namespace

// Workers send their stats about four times per watchdog_ms (worker.cpp): the deadline is
// the last message plus watchdog_ms, moved on each time it passes with newer news.
void master::watch_liveness(const worker_ptr& w) {
    if (w->watchdog.count() == 0 || w->ph != phase::ready) return;
    auto self = shared_from_this();
    std::weak_ptr<worker_process> weak = w;
    w->timer->expires_at(w->heard + w->watchdog);
    w->timer->async_wait([self, weak](const boost::system::error_code& ec) {
        auto w2 = weak.lock();
        if (ec || !w2 || !self->alive() || w2->ph != phase::ready) return;
        if (std::chrono::steady_clock::now() - w2->heard < w2->watchdog) self->watch_liveness(w2);
        else self->on_silent(w2);
    });
}

void master::on_silent(const worker_ptr& w) {
    lg().error("cluster: worker {} (pid {}) sent nothing for {} ms: its loop is stuck; killing it",
               w->slot + 1, w->pid, w->watchdog.count());
    w->silent = true;
    // Out of the round-robin rotation at once; the exit makes the slot restart.
    table_.set_state(w->table_index, slot_retiring);
    ::kill(w->pid, SIGKILL);
}

} // namespace nodus::cluster::detail
