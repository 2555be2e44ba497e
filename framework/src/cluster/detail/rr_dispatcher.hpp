#pragma once
// balance = round_robin: the master accepts and passes each connection to a worker.
#include "cluster/detail/worker_process.hpp"
#include "net/detail/unique_fd.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

namespace nodus::cluster::detail {

/// Accepts on the listening socket and hands each connection to the next slot whose
/// worker takes it (Node's cluster default): one that reported listening, is neither
/// retired by the master nor stopping on its own (the shared table says so), and takes
/// from its channel what it was given (a worker that took nothing it owes for 50 ms is
/// skipped until it does). A connection no worker can take now waits
/// in a queue as long as the listen backlog; once that is full the dispatcher stops
/// accepting, so further ones wait in the kernel's backlog instead of being closed.
///
/// Invariant: exactly one accept state at a time (closed, accepting, waiting for
/// readiness, paused on a full queue, backing off after an error); only `accepting`
/// calls accept(), and at most one readiness wait is pending.
class rr_dispatcher : public std::enable_shared_from_this<rr_dispatcher> {
public:
    /// `slots`: the master's, which outlive this object and never change in number.
    rr_dispatcher(const std::vector<worker_slot>& slots, std::size_t queue_limit);

    /// Start accepting on `listen_fd` (owned by the caller); no-op while open.
    void open(int listen_fd);
    /// Stop accepting (the socket stays the caller's); with `drop_queued` close the
    /// connections that wait for a worker, too. Every pending wait stands down.
    void close(bool drop_queued) noexcept;
    /// A worker may take connections now: hand out the queue.
    void dispatch();

private:
    enum class accept_state { closed, accepting, waiting, paused, backing_off };

    void arm();
    void on_acceptable();
    void back_off();
    bool pass(int fd);
    bool offer(const worker_slot& slot, int fd, std::chrono::steady_clock::time_point now);
    void retry_dispatch_later();

    const std::vector<worker_slot>& slots_;
    std::size_t queue_limit_;
    accept_state state_ = accept_state::closed;
    int listen_fd_ = -1;
    std::unique_ptr<boost::asio::posix::stream_descriptor> watch_;
    boost::asio::steady_timer accept_retry_;
    boost::asio::steady_timer dispatch_retry_;
    bool dispatch_pending_ = false;
    std::deque<nodus::detail::unique_fd> queued_; // accepted, no worker could take them yet
    std::size_t next_slot_ = 0; // where the round goes on
};

} // namespace nodus::cluster::detail
