#pragma once
// The access log's way to its destination: lines are appended to a buffer that a writer
// thread of its own takes whole, about every 100 ms or once 32 KiB have gathered, and
// writes with one write(2). The loop never waits for the disk: while the writer is busy
// (a slow disk, a pipe nobody reads) lines gather up to a fixed bound, past it they are
// dropped and counted. One short lock per line, no allocation, no wake-up per line.
#include "log/detail/destination.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace nodus::log::detail {

class access_writer {
public:
    /// Past `bound` bytes waiting, lines are dropped. `report(n)` is called (on either
    /// thread, under the writer's lock: it must not wait) when the count of dropped lines
    /// grew, at most once per `report_every`.
    access_writer(std::shared_ptr<destination> to, std::size_t bound,
                  std::function<void(std::uint64_t)> report,
                  std::chrono::milliseconds report_every = std::chrono::seconds(10));
    /// Writes what is waiting, waiting for it at most `wait`; past that the thread is left
    /// to finish alone (a destination that never drains) and its lines are lost.
    void close(std::chrono::milliseconds wait) noexcept;
    ~access_writer() { close(std::chrono::milliseconds(10000)); }
    access_writer(const access_writer&) = delete;
    access_writer& operator=(const access_writer&) = delete;

    /// Room for one line of at most `most` bytes, to be written in place and handed over
    /// with `commit(end)`; the writer's lock is held in between. Null when the line is
    /// dropped (and counted): then no commit.
    char* reserve(std::size_t most) noexcept;
    void commit(char* end) noexcept;

    /// No more reports from here on; returns once one in progress has finished.
    void stop_reporting() noexcept;

    /// Lines dropped so far: the bound was reached or the destination refused them.
    std::uint64_t dropped() const noexcept;

    const std::shared_ptr<destination>& to() const noexcept { return to_; }

    struct shared; // the state the writer thread shares; it may outlive this object

private:
    std::shared_ptr<destination> to_;
    std::shared_ptr<shared> s_;
    std::thread thread_;
};

} // namespace nodus::log::detail
