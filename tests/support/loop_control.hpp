#pragma once
// Holding the nodus loop still, and counting its turns: for tests that must line events up
// (everything in the sockets before the loop looks) and then tell "served in the same turn"
// from "one turn each".
#include <nodus/loop/loop.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

namespace nodus::test {

/// Blocks the loop (a queued task that waits) from construction until release() or the
/// end of the scope. Construct it on a thread other than the loop's.
class hold_loop {
public:
    hold_loop() {
        std::promise<void> holding;
        nodus::next_tick([&holding, held = go_.get_future().share()] {
            holding.set_value();
            held.wait();
        });
        holding.get_future().wait();
    }
    ~hold_loop() { release(); }
    hold_loop(const hold_loop&) = delete;
    hold_loop& operator=(const hold_loop&) = delete;
    void release() {
        if (!released_) go_.set_value();
        released_ = true;
    }

private:
    std::promise<void> go_;
    bool released_ = false;
};

/// The loop's turn at each note() (a handler calls it), counted from start(). A task that
/// queues itself again each time it runs runs once per turn: a turn runs what was queued
/// before it, then polls the sockets once.
class turn_log {
    struct state {
        std::atomic<bool> on{true};
        std::atomic<std::uint64_t> turns{0};
    };

public:
    /// Stops the count when it goes. The count keeps the loop busy, and a test server's
    /// teardown waits for the loop to run out of work: declare it after the server.
    class counting {
    public:
        explicit counting(std::shared_ptr<state> s) : s_(std::move(s)) {}
        counting(counting&&) = default;
        ~counting() {
            if (s_) s_->on = false;
        }

    private:
        std::shared_ptr<state> s_;
    };

    /// Start counting; call it before the loop sees what is to be counted (while it is held).
    [[nodiscard]] counting start() {
        auto s = std::make_shared<state>();
        {
            std::lock_guard lock{m_};
            s_ = s;
        }
        tick(s);
        return counting{s};
    }

    /// On the loop: note the current turn (nothing before start()).
    void note() {
        std::lock_guard lock{m_};
        if (s_) at_.push_back(s_->turns.load());
    }

    std::size_t notes() {
        std::lock_guard lock{m_};
        return at_.size();
    }

    /// Turns between the first note and the last.
    std::uint64_t spread() {
        std::lock_guard lock{m_};
        if (at_.empty()) return 0;
        auto [lo, hi] = std::minmax_element(at_.begin(), at_.end());
        return *hi - *lo;
    }

private:
    static void tick(std::shared_ptr<state> s) {
        nodus::next_tick([s = std::move(s)]() mutable {
            if (!s->on) return;
            ++s->turns;
            tick(std::move(s));
        });
    }

    std::mutex m_;
    std::shared_ptr<state> s_;
    std::vector<std::uint64_t> at_;
};

} // namespace nodus::test
