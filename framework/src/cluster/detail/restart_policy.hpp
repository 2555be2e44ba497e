#pragma once
// When a worker that crashed comes back, and when the master gives up instead.
#include <nodus/config/config.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <random>
#include <vector>

namespace nodus::cluster::detail {

/// The restart rule of the cluster (docs/cluster.md, "Crashes"):
/// - a slot's first crash since it last ran a stable minute restarts it at once; each
///   further one waits 100 ms doubling up to 30 s, times a random 0.5-1.5 (so that workers
///   that crash together do not come back together);
/// - more than `crash_limit` crashes of any workers within `crash_window_s` is a crash
///   loop: the master stops.
///
/// Invariant: the crash history holds only crashes within the last window; each slot's
/// counts change only through on_crash() and next_restart().
class restart_policy {
public:
    using clock = std::chrono::steady_clock;

    explicit restart_policy(std::size_t slots) : slots_(slots) {}

    /// Record a crash of the worker of `slot` that ran for `uptime`. True when the crashes
    /// within the window now exceed the limit (a crash loop).
    bool on_crash(int slot, clock::duration uptime, const cluster_config& cfg);

    /// Crashes within the window, as on_crash() last counted them.
    std::size_t recent_crashes() const noexcept { return crashes_.size(); }

    /// Count a restart of `slot`; how long to wait before it (zero: at once).
    std::chrono::milliseconds next_restart(int slot);

    /// Restarts of `slot` so far.
    unsigned restarts(int slot) const noexcept { return slots_[static_cast<std::size_t>(slot)].restarts; }

private:
    struct slot_counts {
        unsigned restarts = 0;
        unsigned consecutive = 0; // crashes since the slot last ran a stable minute
    };

    std::vector<slot_counts> slots_;
    std::deque<clock::time_point> crashes_;
    std::mt19937 rng_{std::random_device{}()};
};

} // namespace nodus::cluster::detail
