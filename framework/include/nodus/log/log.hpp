#pragma once
/** @file
    Logging through spdlog. `init` creates the loggers (after any fork: no spdlog thread
    crosses a fork). Lines go through a bounded asynchronous queue so a slow terminal or
    disk never stalls the loop; lines dropped on overflow are counted (`dropped()` for the
    main log, `access_lines_dropped()` for the access log).
*/
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include <nodus/config/config.hpp>

namespace spdlog {
class logger;
}

namespace nodus::log {

/** Create (or re-create) the process's loggers from `cfg`. `tag` goes into every line
    (e.g. "worker 2"); empty for a single process or the master. Safe to call again.
    @throws config_error when `cfg.destination` or `cfg.access_destination` is a file that
    cannot be opened, or `cfg.access_format` is unknown. */
void init(const log_config& cfg, std::string_view tag = {});

/** Flush and drop the loggers and their thread (before fork, or at exit). Waits for the
    thread to write what is queued for at most the time set with `set_shutdown_wait`;
    lines still queued after that are lost, so a destination that does not drain (a full
    pipe nobody reads) never holds up a stop. Also run at the process's exit. */
void shutdown();

/** How long `shutdown` waits for queued lines to be written: 10 s unless set;
    `nodus::app` sets it to `[http] drain_timeout_ms`. */
void set_shutdown_wait(std::chrono::milliseconds wait) noexcept;

/** The main logger; usable before `init` and after `shutdown` (then it writes to stderr at info).
    @par Lifetime
    Valid until the next `init` or `shutdown`: call `get()` each time rather than keeping it. */
spdlog::logger& get();

/** True when the access log is on. */
bool access_enabled() noexcept;

/** Write one access-log line: remote address, method, target, status, bytes, duration, in
    the format of `[log] access_format`. Lines are gathered and written by a thread of their
    own about every 100 ms; the caller never waits for the destination. */
void access(std::string_view remote, std::string_view method, std::string_view target, int status,
            std::uint64_t bytes, double duration_ms);

/** Access lines lost since the process started: the destination was full, unwritable or
    too slow (more than 512 KiB waiting). Never blocks; safe from any thread. While it grows
    the main log says so, at most once per 10 s. */
std::uint64_t access_lines_dropped() noexcept;

/** Open the file destinations again under their names, for logrotate (SIGUSR1 does this in
    a single process and in every process of a cluster). A file that cannot be opened is
    logged and the old one is kept. Standard output and error are left as they are. */
void reopen();

/** Lines dropped because the queue was full, since the last `init` (kept after `shutdown`). */
std::uint64_t dropped() noexcept;

} // namespace nodus::log
