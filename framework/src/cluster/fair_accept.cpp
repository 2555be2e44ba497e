// The fairness rule of balance = shared (docs/cluster.md, "Even load"), in each worker:
// compare this worker's counts in the shared table with those of its peers that accept.
#include "cluster/detail/fair_accept.hpp"

#include "cluster/detail/state.hpp"

#include <nodus/loop/loop.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace nodus::cluster::detail {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds pulse_period{50};
// A peer whose heartbeat is this far behind ours has a loop that does not turn (stopped,
// or stuck in a handler): it accepts nothing, so its counts say nothing about our share.
constexpr std::int32_t stuck_after_ms = 200;

struct fair_state {
    nodus::timer pulse;
    clock::time_point delayed_since{};
};

fair_state& fs() {
    static auto* f = new fair_state;
    return *f;
}

std::uint32_t steady_ms() noexcept {
    auto ms = std::chrono::duration_cast<milliseconds>(clock::now().time_since_epoch()).count();
    return static_cast<std::uint32_t>(ms);
}

shared_slot* own_row() noexcept {
    auto& st = state();
    return st.table && st.table_index >= 0 ? &st.table[st.table_index] : nullptr;
}

void beat() noexcept {
    if (auto* me = own_row()) me->heartbeat.store(steady_ms(), std::memory_order_relaxed);
}

// Both heartbeats come from the same system-wide clock; ours is at most one pulse old
// while our loop turns, so comparing with it needs no clock read per accept. A peer
// ahead of us (our own pulse is late) counts as turning.
bool turning(std::uint32_t peer, std::uint32_t mine) noexcept {
    return static_cast<std::int32_t>(mine - peer) < stuck_after_ms;
}

struct counts {
    std::uint32_t open; // connections open now
    std::uint32_t recent; // accepts lately
};

counts counts_of(const shared_slot& row) noexcept {
    return {row.connections.load(std::memory_order_relaxed), row.recent.load(std::memory_order_relaxed)};
}

// Clearly more open connections (long-lived connections), or clearly more recent accepts
// (short-lived ones, which the open counts hardly show).
bool more_open(counts a, counts b) noexcept { return a.open > b.open + std::max(2u, b.open / 8); }
bool more_recent(counts a, counts b) noexcept { return a.recent > b.recent + std::max(4u, b.recent / 4); }

// Clearly more than `peer` on one count, and not clearly less on the other: when each is
// ahead on a different count (a restarted worker has taken many short connections while
// its peer still holds long ones), neither waits for the other.
bool over_share(counts mine, counts peer) noexcept {
    return (more_open(mine, peer) && !more_recent(peer, mine)) ||
        (more_recent(mine, peer) && !more_open(peer, mine));
}

} // namespace

void fair_accept_start() {
    beat();
    fs().pulse = nodus::set_interval(pulse_period, [] { beat(); });
}

void fair_accept_stop() noexcept { fs().pulse.cancel(); }

unsigned worker_accept_delay(unsigned taken) noexcept {
    auto& st = state();
    auto* me = own_row();
    if (!me) return 0;
    auto& f = fs();
    counts mine = counts_of(*me);
    mine.open += taken;
    mine.recent += taken;
    const std::uint32_t my_beat = me->heartbeat.load(std::memory_order_relaxed);
    bool over = false;
    for (std::size_t i = 0; i < st.table_size && !over; ++i) {
        const auto& peer = st.table[i];
        if (&peer == me || peer.state.load(std::memory_order_relaxed) != slot_accepting) continue;
        if (!turning(peer.heartbeat.load(std::memory_order_relaxed), my_beat)) continue;
        over = over_share(mine, counts_of(peer));
    }
    if (!over) {
        f.delayed_since = {};
        return 0;
    }
    // No check of the accept queue here: in a burst that arrives one connection at a time
    // the queue is empty at most decisions, and the worker that happens to run first would
    // take them all. Waiting costs nothing when nothing waits, and a peer that is not
    // over its share takes what arrives meanwhile.
    auto now = clock::now();
    if (f.delayed_since == clock::time_point{}) f.delayed_since = now;
    // A peer that is busy (its loop turns, but slowly) must not stop us from accepting for
    // long either.
    if (now - f.delayed_since < milliseconds(50)) return 200; // µs
    f.delayed_since = {};
    return 0;
}

} // namespace nodus::cluster::detail
