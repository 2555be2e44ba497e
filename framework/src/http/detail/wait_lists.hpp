#pragma once
// The deadline lists of a server's connections. Every connection sits in exactly one
// list. All connections in a list share one timeout, so appending at the tail keeps each
// list sorted by deadline and one timer per server serves them all; moving between lists
// is O(1), no syscall.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>

namespace nodus::http::detail {

using clock = std::chrono::steady_clock;

// Deadlines are kept in milliseconds, so they are stamped with CLOCK_MONOTONIC_COARSE (the same
// clock as steady_clock, read from the vDSO without the TSC): it lags by at most one kernel tick
// (1-4 ms), so a timeout can end that much early, never late.
inline clock::time_point coarse_now() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return clock::time_point(std::chrono::duration_cast<clock::duration>(
        std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

/// What a connection waits for; `count` marks a connection in no list (closed).
enum class wait_kind : std::uint8_t { none, header, idle, body, send, linger, handshake, count };

const char* to_string(wait_kind k) noexcept;

class connection;

/// A connection's place in the lists.
struct list_hook {
    connection* prev = nullptr;
    connection* next = nullptr;
    wait_kind kind = wait_kind::none;
    clock::time_point deadline{};
    std::uint32_t served = 0; // the connection's answers when it entered its list
};

class wait_lists {
public:
    void set_timeout(wait_kind k, std::chrono::milliseconds t) noexcept { lists_[int(k)].timeout = t; }
    connection* head(wait_kind k) const noexcept { return lists_[int(k)].head; }

    /// At the tail of list `k`, without a new deadline.
    void append(connection* c, wait_kind k) noexcept;
    /// Out of every list (closed).
    void remove(connection* c) noexcept;
    /// Into list `k` with a fresh deadline; false when `c` is closed (in no list).
    bool move_to(connection* c, wait_kind k) noexcept;

private:
    struct list {
        connection* head = nullptr;
        connection* tail = nullptr;
        std::size_t size = 0;
        std::chrono::milliseconds timeout{0};
    };
    list lists_[int(wait_kind::count)];
};

} // namespace nodus::http::detail
