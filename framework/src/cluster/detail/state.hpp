#pragma once
// Internals shared by the master, the worker side and the http glue.
// Nothing here includes http/: the glue passes the server in as callbacks.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nodus/cluster/cluster.hpp>
#include <nodus/config/config.hpp>

namespace nodus::cluster::detail {

enum class role { single, master, worker };

/// Control messages (namespace ipc::detail::ns::control): first payload byte.
enum class control : std::uint8_t {
    online = 1, // worker → master: forked, IPC up
    listening = 2, // worker → master: its loop runs and it accepts
    shutdown = 3, // master → worker: graceful stop
    stats = 4, // worker → master: u64 connections, u64 requests (little-endian)
    retire = 5, // master → worker: replaced by a reload, stop gracefully
    connection = 6, // master → worker (balance = round_robin): an accepted connection,
    // its descriptor attached (SCM_RIGHTS)
    metrics_request = 7, // master → worker: u32 scrape number
    metrics_reply = 8, // worker → master: u32 scrape number, u8 last part, snapshot bytes
    readiness = 9, // worker → master: u8 1 when the application says it is ready
    publish = 20, // worker → master → every worker: `cluster::publish`, "topic\0message"
};

/// One row of the table the master maps MAP_SHARED before forking.
struct shared_slot {
    std::atomic<std::uint32_t> connections{0};
    std::atomic<std::uint32_t> state{0}; // slot_state below
    std::atomic<std::int32_t> pid{0};
    std::atomic<std::uint32_t> recent{0}; // accepts lately: +1 per accept, halved every 100 ms
    // balance = shared: when the worker's loop last turned, in steady-clock milliseconds
    // (modulo 2^32), so that its peers can tell a stuck worker from a busy one.
    std::atomic<std::uint32_t> heartbeat{0};
    // balance = round_robin: connections the worker took from its channel (modulo 2^32),
    // so that the master can tell a worker that does not take what it was given.
    std::atomic<std::uint32_t> taken{0};
};
enum slot_state : std::uint32_t { slot_free = 0, slot_starting = 1, slot_accepting = 2, slot_retiring = 3 };

struct process_state {
    role r = role::single;
    int worker_id = 0;
    shared_slot* table = nullptr;
    std::size_t table_size = 0;
    int table_index = -1;
    int ipc_fd_for_worker = -1;
    int listen_fd = -1; // in a worker: its listening socket (-1 with balance = round_robin)
    std::vector<std::function<void(std::string_view)>> on_message;
    std::vector<std::function<void(int, std::string_view)>> on_master_message;
    std::vector<std::function<void()>> on_master_start;
    std::function<void()> on_master_bound; // once, after binding and before forking
};
process_state& state() noexcept;

/// What a worker needs once it returns from the master's fork.
struct worker_setup {
    int id = 0;
    int listen_fd = -1; // -1 with balance = round_robin: the master accepts
    int ipc_fd = -1;
    std::uint16_t port = 0; // the port the master listens on
    bool fair_accept = false; // balance = shared: use the accept_delay rule
    bool round_robin = false; // balance = round_robin: connections arrive over the channel
    std::uint32_t watchdog_ms = 0; // [cluster] watchdog_ms when it forked: paces the heartbeat
    http_config http; // the master's [http] when it forked (reloads change it)
    tls_config tls; // the master's [tls] when it forked (reloads change it)
};

/// In the master: bind (or adopt LISTEN_FDS), fork the workers and supervise them until
/// the cluster has stopped, then return nullopt with the master's exit code in
/// `exit_code`. In a forked worker: return the worker's setup.
/// @throws std::system_error naming the address when binding fails.
std::optional<worker_setup> run_master(const config& cfg, int& exit_code);

/// Run `fn` in the master once its listeners are bound, before any worker is forked
/// (the glue binds the admin listener there). What it throws leaves run_master.
inline void on_master_bound(std::function<void()> fn) { state().on_master_bound = std::move(fn); }

/// Worker side, wired by the glue.
struct worker_hooks {
    std::function<void(std::function<void()> done)> stop; // graceful: retire + close
    std::function<std::uint64_t()> connections;
    std::function<std::uint64_t()> requests;
    /// balance = round_robin: serve a connection the master accepted; owns `fd`.
    std::function<void(int fd)> adopt;
    /// The worker's metrics as bytes for the master (metrics::detail::encode); empty: none.
    std::function<std::string()> metrics;
    /// The application's readiness (its checks), sent to the master when it changes.
    std::function<bool()> ready;
};
void worker_serve(const worker_setup& setup, worker_hooks hooks);
void worker_note_count(std::size_t open) noexcept;

/// Application message to the master channel of this worker (namespace app).
bool worker_send(std::string_view msg);

/// Master: ask every ready worker for its metrics; `done` runs on the loop with the
/// (worker id, bytes) of those that answered within `timeout`.
using scrape_result = std::vector<std::pair<int, std::string>>;
void master_scrape(std::chrono::milliseconds timeout, std::function<void(scrape_result)> done);

/// What the master's readiness and metrics read of the cluster.
struct master_health {
    bool stopping = false; // SIGTERM (or a crash loop): draining, or about to
    std::size_t slots = 0;
    std::size_t ready = 0; // slots with a listening worker that says it is ready
    std::uint64_t restarts = 0; // workers started again after they died
    std::uint64_t reloads = 0; // rolling reloads begun
};
master_health master_status();

/// Master side of the public API.
bool master_send(int id, std::string_view msg);
std::size_t master_broadcast(std::string_view msg);

/// `cluster::publish` (pubsub.cpp): a worker's publication goes to the master, which relays
/// it (the control byte included) to every worker; each delivers it to its subscribers.
bool worker_publish(std::string_view payload);
std::size_t master_publish(std::string_view payload);
void deliver_published(std::string_view topic_and_message);
std::vector<worker_info> master_workers();

} // namespace nodus::cluster::detail
