// nodus::queue_work: blocking work on a small pool of threads, completions on the loop.
//
// The pool's threads never touch Asio: a finished job goes on a list under the pool's own
// mutex, and the first one on an empty list writes to an eventfd that the loop reads with an
// ordinary descriptor wait. So the loop's scheduler takes no lock for the pool, and a fork
// can leave the whole pool behind (see threadpool_after_fork_child).
#include "loop/detail/threadpool.hpp"

#include <nodus/config/config.hpp>
#include <nodus/loop/loop.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include <sys/eventfd.h>
#include <unistd.h>

namespace nodus {

namespace asio = boost::asio;

namespace {

struct job {
    std::function<void()> work;
    std::function<void(std::exception_ptr)> done;
    std::exception_ptr error;
};

// Shared with the pool's threads: everything under `m`. Never freed: a thread may still be
// waiting on `cv` when the process exits, and after a fork the child abandons it.
struct pool {
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::unique_ptr<job>> todo;
    std::deque<std::unique_ptr<job>> finished;
    unsigned threads = 0;
    unsigned idle = 0;
    unsigned size = 4;
    int wake_fd = -1; // eventfd: written when `finished` stops being empty
};

// The loop thread's side.
struct loop_side {
    pool* p = nullptr;
    unsigned size = 4;
    std::size_t pending = 0; // queued or running, `done` not yet called
    std::unique_ptr<asio::posix::stream_descriptor> watch;
    std::uint64_t counter = 0;
    bool reading = false;
    std::uint64_t generation = 0; // bumped when a fork abandons the pool
};

loop_side& side() noexcept {
    static loop_side* s = new loop_side; // outlives every static destructor
    return *s;
}

void thread_main(pool* p) {
    std::unique_lock lock(p->m);
    for (;;) {
        ++p->idle;
        p->cv.wait(lock, [p] { return !p->todo.empty(); });
        --p->idle;
        auto j = std::move(p->todo.front());
        p->todo.pop_front();
        lock.unlock();
        try {
            j->work();
        } catch (...) {
            j->error = std::current_exception();
        }
        j->work = nullptr; // what it captured goes here, off the loop
        lock.lock();
        bool wake = p->finished.empty();
        p->finished.push_back(std::move(j));
        if (wake) {
            std::uint64_t one = 1;
            // Cannot fail short of a full counter (2^64 - 1 unread wake-ups).
            [[maybe_unused]] auto n = ::write(p->wake_fd, &one, sizeof one);
        }
    }
}

void start_pool(loop_side& s) {
    int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::system_category(), "queue_work: eventfd");
    auto* p = new pool;
    p->size = s.size;
    p->wake_fd = fd;
    s.watch = std::make_unique<asio::posix::stream_descriptor>(io_context(), fd);
    s.p = p;
}

void arm(loop_side& s);

// A `done` threw: the exception leaves run(), and the jobs taken with it go back to the
// front of the list, so a later run() calls them as if nothing had happened.
void put_back(loop_side& s, std::deque<std::unique_ptr<job>>& rest) noexcept {
    if (rest.empty()) return;
    s.pending += rest.size();
    {
        std::lock_guard lock(s.p->m);
        while (!rest.empty()) {
            s.p->finished.push_front(std::move(rest.back()));
            rest.pop_back();
        }
    }
    // A pool thread writes only when it finds the list empty, which it no longer is.
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(s.p->wake_fd, &one, sizeof one);
    arm(s);
}

void on_wake(std::uint64_t generation) {
    auto& s = side();
    if (generation != s.generation) return; // the pool this wait was for is gone
    s.reading = false;
    std::deque<std::unique_ptr<job>> done;
    {
        std::lock_guard lock(s.p->m);
        done.swap(s.p->finished);
    }
    // Re-armed before any `done` runs, which may queue more work (and arms it itself).
    s.pending -= done.size();
    if (s.pending) arm(s);
    while (!done.empty()) {
        auto j = std::move(done.front());
        done.pop_front();
        auto fn = std::move(j->done);
        auto error = j->error;
        j.reset();
        try {
            if (fn) fn(error);
        } catch (...) {
            put_back(s, done);
            throw;
        }
    }
}

void arm(loop_side& s) {
    if (s.reading || !s.watch) return;
    s.reading = true;
    std::uint64_t generation = s.generation;
    s.watch->async_read_some(asio::buffer(&s.counter, sizeof s.counter),
                             [generation](const boost::system::error_code& ec, std::size_t) {
                                 if (ec == asio::error::operation_aborted) return;
                                 on_wake(generation);
                             });
}

} // namespace

void queue_work(std::function<void()> work, std::function<void(std::exception_ptr)> done) {
    auto& s = side();
    if (!s.p) start_pool(s);
    pool* p = s.p;
    auto j = std::make_unique<job>(job{std::move(work), std::move(done), nullptr});
    bool spawn = false;
    {
        std::lock_guard lock(p->m);
        p->todo.push_back(std::move(j));
        if (p->todo.size() > p->idle && p->threads < p->size) {
            ++p->threads;
            spawn = true;
        }
    }
    if (spawn) {
        try {
            std::thread(thread_main, p).detach();
        } catch (const std::system_error&) {
            // No new thread: the running ones take the job in turn. With none running the
            // job would wait forever, so it is refused instead.
            std::lock_guard lock(p->m);
            if (--p->threads == 0) {
                p->todo.pop_back();
                throw;
            }
        }
    }
    p->cv.notify_one();
    ++s.pending;
    arm(s);
}

unsigned threadpool_size() noexcept { return side().size; }

bool set_threadpool_size(unsigned n) noexcept {
    auto& s = side();
    if (s.p || n < 1 || n > max_threadpool_size) return false;
    s.size = n;
    return true;
}

namespace detail {

void threadpool_after_fork_child() noexcept {
    auto& s = side();
    if (!s.p) return;
    ++s.generation;
    s.p = nullptr; // abandoned: no thread of it exists here
    s.pending = 0;
    s.reading = false;
    if (s.watch) {
        // Our copy of the parent's eventfd: reading it would take the parent's wake-ups.
        boost::system::error_code ignored;
        s.watch->close(ignored);
        s.watch.reset();
    }
}

std::size_t threadpool_pending() noexcept { return side().pending; }

} // namespace detail

} // namespace nodus
