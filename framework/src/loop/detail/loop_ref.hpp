#pragma once
// Unreferenced handles (Node's `unref()`): an operation the loop waits on without being
// kept alive by it. Asio counts every pending operation as work and run() returns only
// when the count reaches zero, so an unreferenced handle takes its pending wait out of
// that count and puts it back just before the wait completes (the scheduler takes one
// off for each completion).
#include <nodus/loop/loop.hpp>

#include <boost/asio/io_context.hpp>

namespace nodus::detail {

/// The pending wait no longer keeps the loop alive. When it was the last work, run()
/// returns (the wait stays pending and completes if the loop runs again).
inline void uncount_pending_wait() noexcept { nodus::io_context().get_executor().on_work_finished(); }

/// Undo `uncount_pending_wait`: before the wait completes, or when the handle is referenced again.
inline void count_pending_wait() noexcept { nodus::io_context().get_executor().on_work_started(); }

} // namespace nodus::detail
