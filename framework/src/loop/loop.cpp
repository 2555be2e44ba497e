#include <nodus/loop/loop.hpp>

#include "loop/detail/loop_ref.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <utility>

namespace nodus {

namespace asio = boost::asio;

boost::asio::io_context& io_context() {
    // One thread runs the loop; other threads may only next_tick(). UNSAFE_IO drops the
    // reactor's per-descriptor locking, which nothing but the loop thread touches.
    static asio::io_context ctx{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    return ctx;
}

std::chrono::steady_clock::time_point now() noexcept { return std::chrono::steady_clock::now(); }

namespace {
int exit_code_ = 0;
}

void set_exit_code(int code) noexcept { exit_code_ = code; }
int exit_code() noexcept { return exit_code_; }

int run() {
    auto& ctx = io_context();
    ctx.restart();
    ctx.run();
    return exit_code_;
}

void next_tick(std::function<void()> fn) { asio::post(io_context(), std::move(fn)); }

// ---------------------------------------------------------------- timers

namespace detail {
struct timer_state {
    asio::steady_timer t{io_context()};
    std::function<void()> fn;
    std::chrono::milliseconds period{0};
    int refs = 0; // handles + the pending wait; non-atomic: loop thread only
    bool active = true;
    bool firing = false;
    bool waiting = false; // a wait is pending
    bool keeps_loop = true; // timer::ref()/unref()
    bool wait_uncounted = false; // the pending wait was taken out of the loop's work

    // The pending wait's reference. It is given back when the handler is destroyed, whether it
    // ran or not: a loop torn down at exit before the timer fired frees the state too.
    struct wait_ref {
        timer_state* s;
        explicit wait_ref(timer_state* p) noexcept : s(p) { ++s->refs; }
        wait_ref(wait_ref&& o) noexcept : s(std::exchange(o.s, nullptr)) {}
        wait_ref(const wait_ref&) = delete;
        ~wait_ref() {
            if (s) s->release();
        }
    };
    void arm(std::chrono::milliseconds d) {
        t.expires_after(d);
        t.async_wait([r = wait_ref(this)](const boost::system::error_code& ec) { r.s->on_fire(ec); });
        waiting = true;
        if (!keeps_loop) uncount();
    }
    void uncount() noexcept {
        wait_uncounted = true;
        uncount_pending_wait();
    }
    void recount() noexcept {
        wait_uncounted = false;
        count_pending_wait();
    }
    void on_fire(const boost::system::error_code& ec) {
        waiting = false;
        if (wait_uncounted) recount();
        // The pending wait's reference (wait_ref) is held until the handler is gone, so the
        // callback may cancel this timer or drop every handle.
        if (!ec && active) {
            if (period.count() == 0) active = false;
            firing = true;
            fn();
            firing = false;
            if (active && period.count() > 0) arm(period);
            else fn = nullptr;
        }
    }
    void release() noexcept {
        if (--refs == 0) delete this;
    }
    static timer make(std::chrono::milliseconds d, std::chrono::milliseconds period,
                      std::function<void()> fn) {
        auto* s = new timer_state;
        s->fn = std::move(fn);
        s->period = period;
        timer h{s};
        s->arm(d);
        return h;
    }
};
} // namespace detail

timer::timer(detail::timer_state* s) noexcept : state_(s) { ++state_->refs; }
timer::timer(const timer& o) noexcept : state_(o.state_) {
    if (state_) ++state_->refs;
}
timer& timer::operator=(const timer& o) noexcept {
    if (o.state_) ++o.state_->refs;
    if (state_) state_->release();
    state_ = o.state_;
    return *this;
}
timer::timer(timer&& o) noexcept : state_(o.state_) { o.state_ = nullptr; }
timer& timer::operator=(timer&& o) noexcept {
    if (this != &o) {
        if (state_) state_->release();
        state_ = o.state_;
        o.state_ = nullptr;
    }
    return *this;
}
timer::~timer() {
    if (state_) state_->release();
}

void timer::cancel() noexcept {
    if (!state_ || !state_->active) return;
    state_->active = false;
    state_->t.cancel();
    // Release the callback now: it often holds a handle to its own timer.
    if (!state_->firing) state_->fn = nullptr;
}
bool timer::active() const noexcept { return state_ && state_->active; }

void timer::unref() noexcept {
    if (!state_ || !state_->keeps_loop) return;
    state_->keeps_loop = false;
    if (state_->waiting && !state_->wait_uncounted) state_->uncount();
}

void timer::ref() noexcept {
    if (!state_ || state_->keeps_loop) return;
    state_->keeps_loop = true;
    if (state_->wait_uncounted) state_->recount();
}

bool timer::has_ref() const noexcept { return state_ && state_->keeps_loop; }

timer set_timeout(std::chrono::milliseconds delay, std::function<void()> fn) {
    return detail::timer_state::make(delay, std::chrono::milliseconds{0}, std::move(fn));
}

timer set_interval(std::chrono::milliseconds period, std::function<void()> fn) {
    if (period.count() <= 0) period = std::chrono::milliseconds{1};
    return detail::timer_state::make(period, period, std::move(fn));
}

} // namespace nodus
