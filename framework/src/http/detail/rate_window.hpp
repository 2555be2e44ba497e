#pragma once
// Bytes moved since a window opened, to tell a peer slower than a minimum average rate once a
// grace period has passed (Apache's mod_reqtimeout MinRate). A connection has one for the
// request body it reads and one for the response its client reads.
#include "http/detail/wait_lists.hpp"

#include <chrono>
#include <cstdint>

namespace nodus::http::detail {

class rate_window {
public:
    bool is_open() const noexcept { return since_ != clock::time_point{}; }
    void open(clock::time_point now) noexcept {
        since_ = now;
        bytes_ = 0;
    }
    void close() noexcept { since_ = {}; }

    /// `n` more bytes moved at `now`: true when, `grace` after the window opened, fewer than
    /// `min_rate` bytes a second moved on average (never with `min_rate` 0).
    bool too_slow(std::uint64_t n, clock::time_point now, std::chrono::milliseconds grace,
                  std::uint64_t min_rate) noexcept {
        bytes_ += n;
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - since_);
        if (min_rate == 0 || elapsed < grace) return false;
        return bytes_ * 1000 < min_rate * static_cast<std::uint64_t>(elapsed.count());
    }

private:
    clock::time_point since_{};
    std::uint64_t bytes_ = 0;
};

} // namespace nodus::http::detail
