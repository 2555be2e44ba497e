// The event loop itself: run() ends when no work is left and returns the exit code; timers,
// intervals and their cancellation; signals; next_tick's order and its use from other threads.
#include <nodus/loop/loop.hpp>

#include "loop/detail/stopping.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// The loop and its exit code belong to the process: each test starts and ends with both idle.
// A test that leaves a timer, a subscription or a queued callback behind fails here.
class loop : public ::testing::Test {
protected:
    void SetUp() override { nodus::set_exit_code(0); }
    void TearDown() override {
        nodus::set_exit_code(0);
        auto& ctx = nodus::io_context();
        ctx.restart();
        ctx.run_for(100ms);
        EXPECT_TRUE(ctx.stopped()) << "a test left work on the loop";
    }
};

} // namespace

TEST_F(loop, run_returns_at_once_when_there_is_no_work) {
    auto start = clock_type::now();
    EXPECT_EQ(nodus::run(), 0);
    EXPECT_LT(clock_type::now() - start, 100ms);
}

TEST_F(loop, run_returns_the_exit_code_the_program_set) {
    nodus::next_tick([] { nodus::set_exit_code(7); });
    EXPECT_EQ(nodus::run(), 7);
    EXPECT_EQ(nodus::exit_code(), 7);
}

TEST_F(loop, run_can_be_called_again_after_it_ran_out_of_work) {
    int ran = 0;
    nodus::next_tick([&] { ++ran; });
    nodus::run();
    nodus::next_tick([&] { ++ran; });
    nodus::run();
    EXPECT_EQ(ran, 2);
}

TEST_F(loop, next_tick_runs_in_the_order_queued_after_the_current_callback) {
    std::string order;
    nodus::next_tick([&] {
        order += 'a';
        nodus::next_tick([&] { order += 'd'; });
        order += 'b';
    });
    nodus::next_tick([&] { order += 'c'; });
    EXPECT_TRUE(order.empty()) << "nothing runs before the loop does";
    nodus::run();
    EXPECT_EQ(order, "abcd");
}

TEST_F(loop, next_tick_from_another_thread_runs_on_the_loop_thread) {
    auto loop_thread = std::this_thread::get_id();
    std::thread::id ran_on;
    // The timer keeps the loop alive until the other thread's callback cancels it.
    nodus::timer keep_alive = nodus::set_timeout(10s, [] {});
    std::thread other([&] {
        nodus::next_tick([&] {
            ran_on = std::this_thread::get_id();
            keep_alive.cancel();
        });
    });
    auto start = clock_type::now();
    nodus::run();
    other.join();
    EXPECT_EQ(ran_on, loop_thread);
    EXPECT_LT(clock_type::now() - start, 5s);
}

TEST_F(loop, timeouts_fire_once_in_deadline_order_after_their_delay) {
    std::string order;
    auto start = clock_type::now();
    nodus::set_timeout(60ms, [&] { order += 'b'; });
    auto first = nodus::set_timeout(20ms, [&] { order += 'a'; });
    EXPECT_TRUE(first.active());
    nodus::run();
    EXPECT_EQ(order, "ab");
    EXPECT_GE(clock_type::now() - start, 60ms);
    EXPECT_FALSE(first.active()) << "a fired timeout is done";
}

TEST_F(loop, a_cancelled_timeout_never_runs_and_does_not_hold_the_loop) {
    bool ran = false;
    auto t = nodus::set_timeout(5s, [&] { ran = true; });
    nodus::next_tick([t]() mutable { t.cancel(); });
    auto start = clock_type::now();
    nodus::run();
    EXPECT_FALSE(ran);
    EXPECT_FALSE(t.active());
    EXPECT_LT(clock_type::now() - start, 1s);
    t.cancel(); // again: harmless
    nodus::timer{}.cancel(); // an empty handle too
}

TEST_F(loop, a_timeout_keeps_running_when_every_handle_is_dropped) {
    bool ran = false;
    {
        nodus::set_timeout(10ms, [&] { ran = true; });
    }
    nodus::run();
    EXPECT_TRUE(ran);
}

TEST_F(loop, copies_of_a_handle_name_the_same_timer) {
    bool ran = false;
    auto t = nodus::set_timeout(20ms, [&] { ran = true; });
    nodus::timer copy = t;
    copy.cancel();
    EXPECT_FALSE(t.active());
    nodus::run();
    EXPECT_FALSE(ran);
}

TEST_F(loop, an_interval_repeats_until_its_own_callback_cancels_it) {
    std::vector<clock_type::time_point> ticks;
    auto start = clock_type::now();
    nodus::timer t;
    t = nodus::set_interval(20ms, [&] {
        ticks.push_back(clock_type::now());
        if (ticks.size() == 3) t.cancel();
    });
    nodus::run();
    ASSERT_EQ(ticks.size(), 3u);
    EXPECT_FALSE(t.active());
    EXPECT_GE(ticks[0] - start, 20ms);
    EXPECT_GE(ticks[2] - ticks[0], 40ms);
}

TEST_F(loop, an_interval_cancelled_from_another_callback_stops) {
    int ticks = 0;
    auto interval = nodus::set_interval(10ms, [&] { ++ticks; });
    nodus::set_timeout(55ms, [interval]() mutable { interval.cancel(); });
    nodus::run();
    EXPECT_GE(ticks, 2);
    EXPECT_LE(ticks, 6);
    EXPECT_FALSE(interval.active());
}

TEST_F(loop, a_signal_is_delivered_on_the_loop_and_its_subscription_keeps_the_loop_alive) {
    std::vector<int> got;
    nodus::signal_handle h;
    h = nodus::on_signal(SIGUSR1, [&](int signo) {
        got.push_back(signo);
        h.cancel();
    });
    EXPECT_TRUE(h.active());
    // Nothing but the subscription is left when the timer has fired: the loop waits for it.
    auto start = clock_type::now();
    nodus::set_timeout(50ms, [] { std::raise(SIGUSR1); });
    nodus::run();
    EXPECT_EQ(got, std::vector<int>{SIGUSR1});
    EXPECT_FALSE(h.active());
    EXPECT_GE(clock_type::now() - start, 50ms);
}

TEST_F(loop, every_subscriber_to_a_signal_is_called) {
    int a = 0, b = 0;
    nodus::signal_handle ha, hb;
    ha = nodus::on_signal(SIGUSR2, [&](int) {
        ++a;
        ha.cancel();
    });
    hb = nodus::on_signal(SIGUSR2, [&](int) {
        ++b;
        hb.cancel();
    });
    std::raise(SIGUSR2);
    nodus::run();
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 1);
}

TEST_F(loop, a_cancelled_subscription_lets_the_loop_end) {
    bool called = false;
    auto h = nodus::on_signal(SIGUSR1, [&](int) { called = true; });
    h.cancel();
    EXPECT_FALSE(h.active());
    auto start = clock_type::now();
    nodus::run();
    EXPECT_FALSE(called);
    EXPECT_LT(clock_type::now() - start, 1s);
}

TEST_F(loop, now_is_the_monotonic_clock_the_timers_use) {
    auto before = nodus::now();
    clock_type::time_point fired;
    nodus::set_timeout(20ms, [&] { fired = nodus::now(); });
    nodus::run();
    EXPECT_GE(fired - before, 20ms);
    auto loop_now = nodus::now();
    EXPECT_LE(loop_now, clock_type::now());
}

// ------------------------------------------------------------- unref() and ref()

TEST_F(loop, an_unreferenced_interval_alone_lets_run_return_without_firing) {
    int fired = 0;
    auto t = nodus::set_interval(10ms, [&] { ++fired; });
    t.unref();
    EXPECT_FALSE(t.has_ref());
    auto start = clock_type::now();
    EXPECT_EQ(nodus::run(), 0);
    EXPECT_LT(clock_type::now() - start, 10ms);
    EXPECT_EQ(fired, 0);
    EXPECT_TRUE(t.active()); // still pending: it fires if the loop runs again for other work
    t.cancel();
}

TEST_F(loop, an_unreferenced_interval_fires_while_other_work_keeps_the_loop_running) {
    int fired = 0;
    auto t = nodus::set_interval(10ms, [&] { ++fired; });
    t.unref();
    nodus::set_timeout(75ms, [] {});
    auto start = clock_type::now();
    nodus::run();
    auto took = clock_type::now() - start;
    EXPECT_GE(took, 75ms);
    EXPECT_LT(took, 300ms); // the interval, re-armed after each firing, stays unreferenced
    EXPECT_GE(fired, 3);
    t.cancel();
}

TEST_F(loop, ref_makes_an_unreferenced_timer_hold_the_loop_again) {
    bool fired = false;
    auto t = nodus::set_timeout(30ms, [&] { fired = true; });
    t.unref();
    t.ref();
    EXPECT_TRUE(t.has_ref());
    nodus::run();
    EXPECT_TRUE(fired);
}

TEST_F(loop, unref_from_a_callback_ends_the_loop_once_that_callback_returns) {
    int fired = 0;
    nodus::timer t;
    t = nodus::set_interval(5ms, [&] {
        if (++fired == 3) t.unref();
    });
    nodus::run();
    EXPECT_EQ(fired, 3);
    t.cancel();
}

TEST_F(loop, an_unreferenced_signal_subscription_does_not_hold_the_loop_but_is_delivered) {
    int got = 0;
    auto sub = nodus::on_signal(SIGUSR2, [&](int) { ++got; });
    sub.unref();
    EXPECT_FALSE(sub.has_ref());
    auto start = clock_type::now();
    nodus::run();
    EXPECT_LT(clock_type::now() - start, 50ms);
    // With other work to do, the loop still delivers it.
    nodus::set_timeout(1ms, [] { ::raise(SIGUSR2); });
    nodus::timer wait;
    wait = nodus::set_interval(1ms, [&] {
        if (got) wait.cancel();
    });
    nodus::run();
    EXPECT_EQ(got, 1);
    // A referenced subscriber on the same signal holds the loop again; cancelling it lets go.
    nodus::signal_handle held;
    held = nodus::on_signal(SIGUSR2, [&](int) { held.cancel(); });
    nodus::set_timeout(1ms, [] { ::raise(SIGUSR2); });
    nodus::run();
    EXPECT_EQ(got, 2);
    EXPECT_FALSE(held.active());
    sub.cancel();
}

// ------------------------------------------------------------- on_stopping

// Once per process: the only test that begins the stop.
TEST_F(loop, stopping_hooks_run_once_in_order_past_one_that_throws_and_late_ones_run_next) {
    std::vector<std::string> ran;
    nodus::on_stopping([&] { ran.push_back("first"); });
    nodus::on_stopping([&] { throw std::runtime_error("hook failed"); });
    nodus::on_stopping([&] { ran.push_back("third"); });
    EXPECT_TRUE(ran.empty());
    nodus::detail::begin_stopping();
    EXPECT_EQ(ran, (std::vector<std::string>{"first", "third"}));
    nodus::detail::begin_stopping();
    EXPECT_EQ(ran.size(), 2u);
    nodus::on_stopping([&] { ran.push_back("late"); });
    EXPECT_EQ(ran.size(), 2u);
    nodus::run();
    EXPECT_EQ(ran.back(), "late");
}
