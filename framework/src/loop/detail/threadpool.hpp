#pragma once
// The thread pool's hook for fork_with_loop (loop/fork.cpp), and its queue depth for metrics.
#include <cstddef>

namespace nodus::detail {

/// In the child of a fork that keeps the loop: forget the parent's pool (its threads did not
/// cross the fork, its lock may be held) and stop watching its wake-up descriptor, so that
/// jobs the parent had queued neither run nor keep the child's loop alive.
void threadpool_after_fork_child() noexcept;

} // namespace nodus::detail

namespace nodus::detail {

/// Jobs queued or running whose `done` has not run yet (the pool's queue depth).
std::size_t threadpool_pending() noexcept;

} // namespace nodus::detail
