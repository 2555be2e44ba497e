#pragma once
// The cluster master (see master.cpp). Its parts have files of their own; this class
// ties them together and is the only one that forks.
#include "cluster/detail/listeners.hpp"
#include "cluster/detail/master_options.hpp"
#include "cluster/detail/restart_policy.hpp"
#include "cluster/detail/rolling_reload.hpp"
#include "cluster/detail/rr_dispatcher.hpp"
#include "cluster/detail/state.hpp"
#include "cluster/detail/worker_process.hpp"
#include "cluster/detail/worker_table.hpp"

#include <nodus/cluster/cluster.hpp>
#include <nodus/loop/loop.hpp>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace nodus::cluster::detail {

/// Forks the workers and supervises them: learns when they listen, notices when they
/// exit (restart, or stop on a crash loop), reloads and stops them, answers the signals.
/// master.cpp: lifecycle and signals; master_reload.cpp: SIGHUP; master_watchdog.cpp: a
/// ready worker that stopped sending is replaced; master_api.cpp: what the application
/// and SIGUSR1 see.
///
/// Invariants: every live worker process is in workers_ (by pid) until reaped; a slot's
/// `current` is a ready or starting worker of that slot, or none; in a forked worker
/// (dead_) no handler of the master does anything.
class master : public std::enable_shared_from_this<master> {
public:
    master(const config& c, const master_options& opts)
        : cfg_(c), opts_(opts), signals_(nodus::io_context()), stop_timer_(nodus::io_context()) {}

    void bind();
    void start();
    void finish();
    bool exit_now() const noexcept { return exit_now_; }
    int exit_code() const noexcept { return exit_code_; }

    bool send_to(int id, std::string_view msg);
    std::size_t broadcast(std::string_view msg);
    std::size_t publish(std::string_view payload); // a control message to every worker
    std::vector<worker_info> list() const;
    // master_scrape.cpp
    void scrape(std::chrono::milliseconds timeout, std::function<void(scrape_result)> done);
    master_health health() const;

private:
    worker_ptr spawn(int slot, bool replacement);
    void watch(const worker_ptr& w);
    [[noreturn]] void become_worker(int slot, int table_index, int ipc_fd);
    void teardown_in_child(int keep_fd) noexcept;
    void on_control(const worker_ptr& w, std::string_view msg);
    void on_ready(const worker_ptr& w);
    void on_metrics_reply(const worker_ptr& w, std::string_view msg);
    void on_readiness(const worker_ptr& w, std::string_view msg);
    void finish_scrape(std::uint32_t seq);
    void begin_stop(int signo);
    void on_exit(const worker_ptr& w, int status);
    void on_crash(const worker_ptr& w);
    void watch_liveness(const worker_ptr& w);
    void on_silent(const worker_ptr& w);
    void schedule_restart(int slot);
    void retire(const worker_ptr& w, control why);
    void stop(int code, const std::string& why);
    void stop_now(int signo);
    void all_exited();
    void reload();
    void reload_step();
    void reload_failed(const worker_ptr& w, const std::string& why);
    void reload_by_reopening();
    void reopen_listeners();
    void log_table();
    void wait_signals();
    void on_signal(int signo);
    bool alive() const noexcept { return !dead_; }
    int listen_fd_for(int slot) const noexcept {
        return mode_ == balance::round_robin ? -1 : listeners_.for_slot(slot);
    }

    config cfg_;
    master_options opts_;
    int n_ = 0;
    balance mode_ = balance::shared;
    listeners listeners_;
    worker_table table_;
    std::vector<worker_slot> slots_;
    std::map<pid_t, worker_ptr> workers_;
    std::unique_ptr<restart_policy> restarts_;
    rolling_reload reload_;
    std::shared_ptr<rr_dispatcher> rr_; // balance = round_robin only
    boost::asio::signal_set signals_;
    boost::asio::steady_timer stop_timer_;
    nodus::timer decay_; // halves the workers' recent-accept counts
    pid_t self_ = ::getpid();
    bool starting_ = true;
    std::size_t ready_at_start_ = 0;
    bool stopping_ = false;
    bool exit_now_ = false;
    int exit_code_ = 0;
    bool dead_ = false; // true in a forked worker: every master handler stands down
    bool reopen_waiting_ = false; // reload_reopens: the listener is closed until every worker left
    // Scrapes in progress (master_scrape.cpp), by number.
    struct scrape_state {
        std::vector<int> waiting; // worker pids not yet answered
        scrape_result got;
        std::function<void(scrape_result)> done;
        std::unique_ptr<boost::asio::steady_timer> timer;
    };
    std::map<std::uint32_t, scrape_state> scrapes_;
    std::uint32_t scrape_seq_ = 0;
    bool draining_ = false; // SIGTERM with [admin] drain_delay_ms: readiness 503, then stop
    boost::asio::steady_timer drain_timer_{nodus::io_context()};
    std::uint64_t restarts_total_ = 0;
    std::uint64_t reloads_total_ = 0;
};

/// The master of this process, once run_master() made it.
std::shared_ptr<master>& the_master();

} // namespace nodus::cluster::detail
