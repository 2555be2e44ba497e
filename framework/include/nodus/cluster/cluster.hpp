#pragma once
/** @file
    The cluster seen from the application: which process am I, and messages between
    the master and its workers (Node's `cluster.isPrimary`, `process.send`,
    `worker.send`).

    With `[cluster] workers = N` (or `auto`), `app.listen()` turns the process into a
    master that forks N workers; every worker returns from `listen()` and serves. Code
    that runs before `listen()` runs once, in the master, and every worker inherits its
    result (routes, callbacks registered here). See docs/cluster.md.
*/
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include <nodus/config/config.hpp>

namespace nodus::cluster {

/** True in the master process of a cluster (after `listen()` started it). */
bool is_master() noexcept;

/** True in a worker process of a cluster. */
bool is_worker() noexcept;

/** The worker's slot number, 1..N, stable across restarts and reloads of that slot
    (a replacement gets the number of the worker it replaces); 0 outside a worker. */
int worker_id() noexcept;

/** Worker → master: send an application message (at most 64 KiB).
    Returns false outside a worker, when the message is too large, or when the master
    is gone. */
bool send(std::string_view msg);

/** Master → worker `id`: send an application message to the ready worker of that slot.
    Returns false when there is none or the message is too large. */
bool send(int id, std::string_view msg);

/** Master → every ready worker. Returns the number of workers the message went to. */
std::size_t broadcast(std::string_view msg);

/** In a worker: receive the master's application messages. Register before or after
    `listen()`; callbacks run on the worker's loop. */
void on_message(std::function<void(std::string_view msg)> fn);

/** Publish `msg` on `topic` to every process that serves: in a cluster, every worker
    (the publishing one included) receives it through the master; in a single process, this
    process does. Subscribers run on each loop, after this call returns, in the order each
    publisher published. Works in a worker and in the master (after `listen()`); at most
    64 KiB for topic and message together. Returns false when the message is too large, the
    topic contains a NUL byte, or the master is gone. A WebSocket chat shares its messages
    across workers this way (docs/websocket.md). */
bool publish(std::string_view topic, std::string_view msg);
/** Receive what is published on `topic` (see `publish`). Register before or after
    `listen()`; an exception from `fn` is logged and the other subscribers still run. */
void subscribe(std::string_view topic, std::function<void(std::string_view msg)> fn);

/** In the master: receive workers' application messages with the sender's id.
    Register before `app.listen()`. */
void on_master_message(std::function<void(int worker_id, std::string_view msg)> fn);

/** In the master: run `fn` on the master's loop once the workers are forked (start
    timers, watch files...). Register before `app.listen()`. */
void on_master_start(std::function<void()> fn);

/** One worker as the master sees it. */
struct worker_info {
    int id = 0; ///< slot number, 1..N
    int pid = 0;
    bool ready = false; ///< announced "listening"
    bool retiring = false; ///< being replaced or stopped
    std::chrono::milliseconds uptime{0};
    unsigned restarts = 0; ///< crash restarts of this slot
    std::size_t connections = 0; ///< open connections (live, from shared memory)
    std::uint64_t requests = 0; ///< requests served (from the worker's last stats)
};

/** In the master: every worker process alive now. Empty elsewhere. */
std::vector<worker_info> workers();

/** The worker count `[cluster] workers` stands for: `auto` (`workers_auto`) is the number of CPUs
    in the affinity mask, bounded by a cgroup v2 `cpu.max` quota; at least 1. */
int resolve_workers(const cluster_config& cfg);

} // namespace nodus::cluster
