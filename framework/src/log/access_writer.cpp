#include "log/detail/access_writer.hpp"

#include <algorithm>
#include <utility>
#include <atomic>
#include <csignal>

#include <pthread.h>

namespace nodus::log::detail {

namespace {
constexpr std::size_t batch_bytes = 32 * 1024;
constexpr auto batch_delay = std::chrono::milliseconds(100);
using clock = std::chrono::steady_clock;
} // namespace

struct access_writer::shared {
    std::shared_ptr<destination> to;
    std::size_t bound;
    std::function<void(std::uint64_t)> report;
    std::chrono::milliseconds report_every;

    std::mutex mu;
    std::condition_variable cv;
    std::unique_ptr<char[]> filling; // the loop appends here
    std::size_t filled = 0;
    std::unique_ptr<char[]> writing; // the writer's, swapped with `filling`
    bool stop = false;
    bool done = false; // the thread has written everything and ends
    std::condition_variable done_cv;

    std::atomic<std::uint64_t> dropped{0};
    std::uint64_t reported = 0; // under mu
    clock::time_point last_report{};

    // Called with `mu` held. The report runs under it too: stop_reporting() then waits for
    // one in progress (it logs through a logger that shutdown() is about to drop). It only
    // queues a line for the main log, which never waits.
    void maybe_report() {
        // Not once closing: a writer left behind by close() must not touch the loggers.
        if (stop || !report) return;
        const auto n = dropped.load(std::memory_order_relaxed);
        const auto now = clock::now();
        if (n == reported || (last_report != clock::time_point{} && now - last_report < report_every)) return;
        reported = n;
        last_report = now;
        try {
            report(n);
        } catch (...) {}
    }

    void run() {
        std::unique_lock lock{mu};
        for (;;) {
            cv.wait(lock, [&] { return stop || filled != 0; });
            if (!stop) cv.wait_for(lock, batch_delay, [&] { return stop || filled >= batch_bytes; });
            if (filled == 0 && stop) break;
            writing.swap(filling);
            const auto n = std::exchange(filled, 0);
            lock.unlock();
            const auto written = to->write({writing.get(), n});
            const auto lost = std::count(writing.get() + written, writing.get() + n, '\n');
            lock.lock();
            if (lost) dropped.fetch_add(static_cast<std::uint64_t>(lost), std::memory_order_relaxed);
            maybe_report();
        }
        done = true;
        done_cv.notify_all();
    }
};

access_writer::access_writer(std::shared_ptr<destination> to, std::size_t bound,
                             std::function<void(std::uint64_t)> report,
                             std::chrono::milliseconds report_every)
    : to_(std::move(to)), s_(std::make_shared<shared>()) {
    s_->to = to_;
    s_->bound = bound;
    s_->report = std::move(report);
    s_->report_every = report_every;
    s_->filling = std::make_unique_for_overwrite<char[]>(bound);
    s_->writing = std::make_unique_for_overwrite<char[]>(bound);
    // The thread must never take a signal meant for the loop: it inherits the mask in force.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    try {
        thread_ = std::thread([s = s_] { s->run(); });
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void access_writer::close(std::chrono::milliseconds wait) noexcept {
    if (!thread_.joinable()) return;
    std::unique_lock lock{s_->mu};
    s_->stop = true;
    s_->cv.notify_all();
    if (s_->done_cv.wait_for(lock, wait, [&] { return s_->done; })) {
        lock.unlock();
        thread_.join();
    } else {
        // Still stuck writing: what waits is lost.
        const auto lost = std::count(s_->filling.get(), s_->filling.get() + s_->filled, '\n');
        s_->dropped.fetch_add(static_cast<std::uint64_t>(lost), std::memory_order_relaxed);
        s_->filled = 0;
        lock.unlock();
        thread_.detach();
    }
}

char* access_writer::reserve(std::size_t most) noexcept {
    s_->mu.lock();
    if (s_->filled + most > s_->bound || s_->stop) {
        s_->dropped.fetch_add(1, std::memory_order_relaxed);
        s_->maybe_report();
        s_->mu.unlock();
        return nullptr;
    }
    return s_->filling.get() + s_->filled;
}

void access_writer::commit(char* end) noexcept {
    auto& s = *s_;
    const auto before = s.filled;
    s.filled = static_cast<std::size_t>(end - s.filling.get());
    // Wake the writer only to start its delay, or when a batch is full: not per line.
    const bool wake = before == 0 || (before < batch_bytes && s.filled >= batch_bytes);
    s.mu.unlock();
    if (wake) s.cv.notify_one();
}

void access_writer::stop_reporting() noexcept {
    std::lock_guard lock{s_->mu};
    s_->report = nullptr;
}

std::uint64_t access_writer::dropped() const noexcept { return s_->dropped.load(std::memory_order_relaxed); }

} // namespace nodus::log::detail
