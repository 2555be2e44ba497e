#pragma once
// The process's own series: CPU, memory, descriptors, the loop's lag, the thread pool.
#include <chrono>

namespace nodus::metrics::detail {

/// Start measuring how late the loop runs timers (an unreferenced 10 ms timer, as Node's
/// monitorEventLoopDelay), and add the process sources to every scrape. Once per process.
void start_process_stats();

/// How late the loop is now: the last timer's lateness, or the time the pending one is
/// overdue by, whichever is larger (a loop that is stuck right now shows it).
std::chrono::milliseconds loop_lag() noexcept;

} // namespace nodus::metrics::detail
