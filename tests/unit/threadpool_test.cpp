// nodus::queue_work: work on the pool's threads, done on the loop, the loop kept alive until
// the last done, jobs in parallel, exceptions delivered, and a fork that leaves the pool behind.
#include <nodus/loop/loop.hpp>

#include <boost/asio/io_context.hpp>

#include "loop/detail/fork.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

double ms_since(clock_type::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

} // namespace

TEST(threadpool, work_runs_on_a_pool_thread_and_done_on_the_loop) {
    const auto loop_thread = std::this_thread::get_id();
    std::thread::id work_thread, done_thread;
    int done_calls = 0;
    bool had_error = true;
    nodus::queue_work([&] { work_thread = std::this_thread::get_id(); },
                      [&](std::exception_ptr e) {
                          done_thread = std::this_thread::get_id();
                          had_error = e != nullptr;
                          ++done_calls;
                      });
    EXPECT_EQ(done_calls, 0) << "done must not run inside queue_work";
    EXPECT_EQ(nodus::run(), 0);
    EXPECT_EQ(done_calls, 1);
    EXPECT_FALSE(had_error);
    EXPECT_NE(work_thread, std::thread::id{});
    EXPECT_NE(work_thread, loop_thread);
    EXPECT_EQ(done_thread, loop_thread);
}

TEST(threadpool, the_loop_stays_alive_until_the_last_done) {
    bool done = false;
    auto t0 = clock_type::now();
    nodus::queue_work([] { std::this_thread::sleep_for(150ms); }, [&](std::exception_ptr) { done = true; });
    nodus::run();
    EXPECT_TRUE(done);
    EXPECT_GE(ms_since(t0), 140.0);
    // And with nothing pending the loop ends at once.
    t0 = clock_type::now();
    nodus::run();
    EXPECT_LT(ms_since(t0), 100.0);
}

TEST(threadpool, jobs_run_in_parallel_up_to_the_pool_size) {
    ASSERT_EQ(nodus::threadpool_size(), 4u);
    std::atomic<int> running{0}, most{0};
    int done = 0;
    auto t0 = clock_type::now();
    for (int i = 0; i < 8; ++i) {
        nodus::queue_work(
            [&] {
                int now = ++running;
                for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {}
                std::this_thread::sleep_for(200ms);
                --running;
            },
            [&](std::exception_ptr) { ++done; });
    }
    nodus::run();
    double elapsed = ms_since(t0);
    EXPECT_EQ(done, 8);
    EXPECT_EQ(most.load(), 4) << "at most the pool's size at once, and all of it";
    // Two rounds of four 200 ms sleeps: about 400 ms; one at a time would take 1,600.
    EXPECT_GE(elapsed, 390.0);
    EXPECT_LT(elapsed, 1200.0);
}

TEST(threadpool, the_loop_serves_other_callbacks_while_work_runs) {
    int ticks_before_done = -1;
    int ticks = 0;
    auto tick = nodus::set_interval(10ms, [&] { ++ticks; });
    nodus::queue_work([] { std::this_thread::sleep_for(300ms); },
                      [&](std::exception_ptr) {
                          ticks_before_done = ticks;
                          tick.cancel();
                      });
    nodus::run();
    EXPECT_GE(ticks_before_done, 10) << "the timer must keep firing while the job blocks its thread";
}

TEST(threadpool, an_exception_from_work_reaches_done) {
    std::string what;
    nodus::queue_work([] { throw std::runtime_error("disk on fire"); },
                      [&](std::exception_ptr e) {
                          ASSERT_TRUE(e);
                          try {
                              std::rethrow_exception(e);
                          } catch (const std::runtime_error& ex) {
                              what = ex.what();
                          }
                      });
    nodus::run();
    EXPECT_EQ(what, "disk on fire");
}

TEST(threadpool, many_jobs_and_jobs_queued_from_done_all_complete) {
    std::atomic<int> worked{0};
    int done = 0;
    int chained = 0;
    for (int i = 0; i < 2000; ++i) nodus::queue_work([&] { ++worked; }, [&](std::exception_ptr) { ++done; });
    // A done that queues the next job: the loop must wait for the whole chain.
    std::function<void(std::exception_ptr)> next = [&](std::exception_ptr) {
        if (++chained < 50) nodus::queue_work([&] { ++worked; }, next);
    };
    nodus::queue_work([&] { ++worked; }, next);
    nodus::run();
    EXPECT_EQ(done, 2000);
    EXPECT_EQ(chained, 50);
    EXPECT_EQ(worked.load(), 2050);
}

// Run in a child forked with the loop, whose pool has not started whatever this process did
// before; the child's exit code is the number of failed checks.
TEST(threadpool, size_can_be_set_only_before_first_use_and_within_range) {
    nodus::log_config log_cfg;
    log_cfg.level = "off";
    int pid = nodus::detail::fork_with_loop(log_cfg, "parent");
    if (pid == 0) {
        ::alarm(10);
        int failed = 0;
        failed += nodus::set_threadpool_size(0);
        failed += nodus::set_threadpool_size(1025);
        failed += !nodus::set_threadpool_size(3);
        failed += nodus::threadpool_size() != 3u;
        std::atomic<int> running{0}, most{0};
        for (int i = 0; i < 9; ++i) {
            nodus::queue_work(
                [&] {
                    int now = ++running;
                    for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {}
                    std::this_thread::sleep_for(50ms);
                    --running;
                },
                [](std::exception_ptr) {});
        }
        failed += nodus::set_threadpool_size(8); // the pool is running now
        nodus::run();
        failed += most.load() != 3; // three at once, never more
        failed += nodus::threadpool_size() != 3u;
        ::_exit(failed);
    }
    ASSERT_GT(pid, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "the child was killed (signal " << WTERMSIG(status) << ")";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "failed checks in the child";
}

// A child forked with the loop while the parent has a job running must neither wait for that
// job (its loop would never end) nor take the parent's completions; its own jobs work.
TEST(threadpool, a_child_forked_with_the_loop_starts_with_an_empty_pool) {
    bool parent_done = false;
    nodus::timer give_up;
    std::atomic<bool> started{false};
    nodus::queue_work(
        [&] {
            started = true;
            std::this_thread::sleep_for(300ms);
        },
        [&](std::exception_ptr) {
            parent_done = true;
            give_up.cancel();
        });
    // Fork once the pool's thread sleeps inside the job, not while it is still starting up:
    // a thread that holds the allocator's lock at the fork leaves it locked in the child
    // (glibc's malloc guards against that; AddressSanitizer's allocator does not).
    while (!started) std::this_thread::sleep_for(1ms);
    nodus::log_config log_cfg;
    log_cfg.level = "off";
    int pid = nodus::detail::fork_with_loop(log_cfg, "parent");
    if (pid == 0) {
        // A child still counting the parent's job would never leave run(): the alarm ends it.
        ::alarm(5);
        bool child_done = false;
        bool other_thread = false;
        auto me = std::this_thread::get_id();
        nodus::queue_work([&] { other_thread = std::this_thread::get_id() != me; },
                          [&](std::exception_ptr) { child_done = true; });
        nodus::run();
        ::_exit(child_done && other_thread && !parent_done ? 0 : 1);
    }
    ASSERT_GT(pid, 0);
    // The parent's completion must still reach the parent (a child reading the shared wake-up
    // descriptor would take it): give up after 3 s rather than hang.
    give_up = nodus::set_timeout(3s, [] { nodus::io_context().stop(); });
    auto t0 = clock_type::now();
    nodus::run();
    EXPECT_TRUE(parent_done);
    EXPECT_LT(ms_since(t0), 2500.0) << "the parent's loop waited for the give-up timer";
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "the child was killed (signal " << WTERMSIG(status) << ")";
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(threadpool, a_done_that_throws_leaves_run_and_the_others_still_run) {
    // Every job finishes before the loop runs, so their `done`s come in one batch; the others
    // finish after the throwing one (they wait for it, then a little more), so they follow it.
    std::atomic<int> finished{0};
    int later = 0;
    nodus::queue_work([&] { ++finished; }, [](std::exception_ptr) { throw std::runtime_error("from done"); });
    for (int i = 0; i < 3; ++i)
        nodus::queue_work(
            [&] {
                while (finished.load() == 0) std::this_thread::yield();
                std::this_thread::sleep_for(20ms);
                ++finished;
            },
            [&](std::exception_ptr) { ++later; });
    while (finished.load() < 4) std::this_thread::yield();
    EXPECT_THROW(nodus::run(), std::runtime_error);
    nodus::run();
    EXPECT_EQ(later, 3) << "a done queued behind the throwing one was lost";
}
