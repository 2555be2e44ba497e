#pragma once
// Forking a process that keeps its loop (libuv's uv_loop_fork is the model): the child
// goes on with the same io_context, minus what must not cross a fork.
#include <nodus/config/config.hpp>

#include <string_view>

namespace nodus::detail {

/// Flush and drop the loggers (no spdlog thread may cross the fork), tell the io_context,
/// fork, and in the child forget the thread pool; in the parent re-create the loggers
/// with `log_cfg` and `parent_tag`.
/// Returns the child's pid in the parent and 0 in the child, which has no logger yet (it
/// creates its own). Anything else the child must drop (watched children, the parent's
/// signal handling) is the caller's to reset.
/// @throws std::system_error when fork() fails (in the parent, loggers restored).
int fork_with_loop(const log_config& log_cfg, std::string_view parent_tag);

} // namespace nodus::detail
