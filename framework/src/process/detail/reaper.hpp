#pragma once
// Child reaping on the loop: one SIGCHLD signal_set for the process; each watched
// pid is reaped with waitpid(pid, WNOHANG), so children started by other code are
// never reaped behind its back.
#include <functional>

#include <sys/types.h>

namespace nodus::detail {

/// Call `fn(wait_status)` on the loop once `pid` has exited and was reaped.
/// The loop stays alive while any pid is watched.
void watch_child(pid_t pid, std::function<void(int status)> fn);

/// In a freshly forked child: forget the parent's children and its SIGCHLD handling.
void reset_reaper_in_child() noexcept;

/// Reap every watched child now (blocking), for a master that stops at once.
void reap_all_blocking() noexcept;

} // namespace nodus::detail
