#pragma once
// The master's record of each worker process and of each worker slot.
#include <nodus/ipc/channel.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <sys/types.h>

namespace nodus::cluster::detail {

/// starting: forked, not yet listening; ready: listening (in the rotation); retiring:
/// asked to stop (replaced by a reload, or the master stops). Only ever moves forward.
enum class phase { starting, ready, retiring };

const char* to_string(phase p) noexcept;

/// balance = round_robin: what the master passed to one worker and what it saw the worker
/// take (the worker counts in the shared table), to skip a worker that stopped taking.
struct handoff {
    std::uint32_t given = 0; // connections passed (modulo 2^32, as the table counts)
    std::uint32_t taken = 0; // the worker's count when it last changed
    std::chrono::steady_clock::time_point progress; // when it last changed, or nothing was owed
};

/// One worker process, from fork to reaping.
struct worker_process {
    int slot = 0; // 0-based; the worker's id is slot + 1
    pid_t pid = 0;
    int table_index = -1; // its row in the worker_table; -1 once reaped
    unsigned generation = 0; // the reload generation it was forked for
    ipc::channel chan;
    phase ph = phase::starting;
    bool replacement = false; // forked by a reload, not yet in its slot
    bool timed_out = false; // killed for not listening within ready_timeout_ms
    bool silent = false; // killed by the watchdog: its loop stopped turning
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point heard; // its last message
    std::chrono::milliseconds watchdog{0}; // [cluster] watchdog_ms it was forked with
    /// One deadline per phase: starting, the ready timeout; ready, the watchdog; retiring,
    /// the retire deadline.
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::uint64_t requests = 0; // from its last stats message
    std::uint64_t connections = 0;
    bool app_ready = true; // its last readiness message
    std::string scrape_part; // a metrics reply arriving in parts
    handoff rr; // balance = round_robin
};
using worker_ptr = std::shared_ptr<worker_process>;

/// One of the N places a worker serves in; a slot keeps its id across restarts and reloads.
struct worker_slot {
    worker_ptr current; // the worker serving in it, if any
    std::unique_ptr<boost::asio::steady_timer> restart_timer;
    bool restart_pending = false; // a restart waits for restart_timer
};

} // namespace nodus::cluster::detail
