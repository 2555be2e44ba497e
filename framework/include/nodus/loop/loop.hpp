#pragma once
/** @file
    The process's event loop: one `boost::asio::io_context`, run on the main thread.

    Setup code declares servers, timers and signal handlers; `nodus::run()` then runs
    the loop until no work is left (no timer, no open server, no connection, no
    pending callback, no thread-pool job) and returns the exit code the program set, as
    Node does.
*/
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>

namespace boost::asio {
class io_context;
}

namespace nodus {

namespace detail {
struct timer_state;
}

/** A handle to a timeout or interval. Copyable; copies name the same timer.

    @par Lifetime
    The timer keeps running when every handle is gone (as in Node); `cancel()` stops it.
*/
class timer {
public:
    timer() noexcept = default;
    timer(const timer& other) noexcept;
    timer& operator=(const timer& other) noexcept;
    timer(timer&& other) noexcept;
    timer& operator=(timer&& other) noexcept;
    ~timer();

    /** Stop the timer; its callback will not run again. Safe on an empty or fired timer. */
    void cancel() noexcept;

    /** True while the callback can still run. */
    bool active() const noexcept;

    /** Let the loop end while this timer is pending (Node's `timer.unref()`): `run()`
        returns once nothing but unreferenced handles is left, and the timer never fires
        then. While the loop goes on for other work, the timer fires as usual. Safe on an
        empty or fired timer; lasts for every later period of an interval. */
    void unref() noexcept;

    /** Undo `unref()`: the pending timer keeps the loop alive again (the default). */
    void ref() noexcept;

    /** False after `unref()` (and for an empty handle). */
    bool has_ref() const noexcept;

private:
    friend struct detail::timer_state;
    explicit timer(detail::timer_state* s) noexcept;
    detail::timer_state* state_ = nullptr;
};

/** Run `fn` once after `delay`. */
timer set_timeout(std::chrono::milliseconds delay, std::function<void()> fn);

/** Run `fn` every `period` until cancelled. */
timer set_interval(std::chrono::milliseconds period, std::function<void()> fn);

/** Queue `fn` on the loop: it runs after the current callback returns, in order with other
    queued work (I/O completions already due may run first; unlike Node's `nextTick` there is
    no separate queue).

    The one call in this header that is safe from any thread: another thread hands work to
    the loop with it, and `fn` then runs on the loop thread. */
void next_tick(std::function<void()> fn);

/** Run blocking or CPU-heavy `work` on a thread of the process's thread pool, then `done` on
    the loop (libuv's `uv_queue_work`, which Node uses for the file system, DNS and crypto).

    `done` receives the exception `work` threw, or a null `std::exception_ptr`. Results travel
    in whatever `work` and `done` capture; `work` must not touch the loop or any object the
    loop's callbacks use without its own synchronisation. Jobs start in the order queued, up
    to the pool's size at once; while any job has not reached its `done`, the loop stays
    alive. Call from the loop thread.

    The pool starts its threads on first use, at most `threadpool_size()` of them. In a
    process forked with the loop (a cluster worker), the pool starts empty: jobs queued before
    the fork complete in the parent only.
*/
void queue_work(std::function<void()> work, std::function<void(std::exception_ptr)> done);

/** Threads the pool may run at once; 4 unless set. */
unsigned threadpool_size() noexcept;

/** Set the pool's size (1 to 1024; `[loop] threadpool_size`, which `nodus::app` applies).
    Only before the first `queue_work`; returns false afterwards or when out of range. */
bool set_threadpool_size(unsigned n) noexcept;

/** A handle to a signal subscription made with `on_signal`. */
class signal_handle {
public:
    signal_handle() noexcept = default;
    /** Stop delivering the signal to this callback. */
    void cancel() noexcept;
    bool active() const noexcept;
    /** Let the loop end while this subscription is active (as Node's signal handlers
        do): the signal is still delivered while the loop runs for other work. */
    void unref() noexcept;
    /** Undo `unref()`: the subscription keeps the loop alive again (the default). */
    void ref() noexcept;
    /** False after `unref()`, and once cancelled. */
    bool has_ref() const noexcept;

private:
    friend signal_handle on_signal(int, std::function<void(int)>);
    explicit signal_handle(std::uint64_t id) noexcept : id_(id) {}
    std::uint64_t id_ = 0;
};

/** Call `fn` on the loop each time `signo` arrives.

    While any subscription is active the loop stays alive (unlike Node, where signal
    handlers do not keep the process running); cancel it, or `unref()` it, to let the loop
    end.
*/
signal_handle on_signal(int signo, std::function<void(int)> fn);

/** Call `fn` once, on the loop, when the process begins a graceful stop: `SIGTERM` or
    `SIGINT` in a single process served by `nodus::app` (or a `server` with
    `handle_signals`), and in a cluster worker the master's stop, a reload that retires
    it, or a signal sent to it.

    This is where a program cancels what it started itself (intervals, signal
    subscriptions, its own connections) so the loop can end once the servers have
    drained; whatever still holds the loop then keeps the process running. Hooks run in
    the order registered; one that throws is logged and the next still runs. A hook
    registered after the stop began runs on the next turn of the loop. Call from the loop
    thread.
*/
void on_stopping(std::function<void()> fn);

/** Run the loop until no work is left; returns the exit code set by `set_exit_code`
    (0 by default). Call it once, from `main`. */
int run();

/** The code `run()` returns (Node's `process.exitCode`). */
void set_exit_code(int code) noexcept;
int exit_code() noexcept;

/** The process's `io_context`, for code that uses Asio directly. */
boost::asio::io_context& io_context();

/** The current time on the monotonic clock the timers use (`std::chrono::steady_clock`). */
std::chrono::steady_clock::time_point now() noexcept;

} // namespace nodus
