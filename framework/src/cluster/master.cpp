// The cluster master: forks the workers, learns when they listen, notices when they
// exit, stops them, and answers the signals. It runs no HTTP. What it works with has
// files of its own: listeners (the sockets), worker_table (the memory it shares with
// the workers), rr_dispatcher (balance = round_robin), restart_policy, rolling_reload.
#include "cluster/detail/master.hpp"
#include "ipc/detail/control.hpp"
#include "loop/detail/fork.hpp"
#include "net/detail/listener.hpp"
#include "process/detail/reaper.hpp"

#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nodus::cluster::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

spdlog::logger& lg() { return nodus::log::get(); }

// Thrown in a freshly forked worker to unwind out of the master's loop (see run_master).
struct became_worker {
    worker_setup setup;
};

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        int s = WTERMSIG(status);
        const char* name = ::sigabbrev_np(s);
        return std::string{"was killed by signal "} + (name ? std::string{"SIG"} + name : std::to_string(s));
    }
    return "ended with status " + std::to_string(status);
}

std::string control_message(control c) { return std::string(1, static_cast<char>(c)); }

std::uint64_t read_u64(std::string_view s, std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
    return v;
}

} // namespace

void master::bind() {
    n_ = std::max(1, resolve_workers(cfg_.cluster));
    mode_ = cfg_.cluster.balance;
    if (opts_.reload_reopens) lg().warn("cluster: reloads close the listener (a test switch)");
    listeners_.open(cfg_.server, mode_, n_, opts_.reload_reopens);
    table_.map(static_cast<std::size_t>(2 * n_ + 2));
    slots_.resize(static_cast<std::size_t>(n_));
    restarts_ = std::make_unique<restart_policy>(slots_.size());
    if (mode_ == balance::round_robin) {
        rr_ = std::make_shared<rr_dispatcher>(slots_,
                                              static_cast<std::size_t>(std::max(1, cfg_.server.backlog)));
    }
}

void master::start() {
    lg().info("Server running at http://{}/",
              nodus::detail::show_endpoint(listeners_.host(), listeners_.port()));
    lg().info("cluster: master pid {}, {} worker(s), balance = {}", self_, n_, to_string(mode_));
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    signals_.add(SIGUSR1);
    wait_signals();
    // The workers' recent-accept counts decay, so the fairness rule compares rates: a
    // worker that just started is level with the others within a second.
    if (mode_ == balance::shared)
        decay_ = nodus::set_interval(std::chrono::milliseconds(100),
                                     [table = table_]() mutable { table.decay(); });
    for (int i = 0; i < n_; ++i) spawn(i, false);
    if (rr_ && !stopping_) rr_->open(listeners_.for_slot(0));
    auto self = shared_from_this();
    for (auto& fn : state().on_master_start) {
        nodus::next_tick([self, fn] {
            if (self->alive()) fn();
        });
    }
}

void master::finish() {
    lg().info("cluster: master exiting with code {}", exit_code_);
    if (rr_) rr_->close(true);
    listeners_.close();
    nodus::log::shutdown();
}

worker_ptr master::spawn(int slot, bool replacement) {
    auto [parent_fd, child_fd] = ipc::make_socket_pair();
    nodus::detail::unique_fd parent_end{parent_fd}, child_end{child_fd};
    int index = table_.claim();
    pid_t pid;
    try {
        pid = nodus::detail::fork_with_loop(cfg_.log, "master");
    } catch (const std::system_error& e) {
        table_.release(index);
        lg().error("cluster: cannot start worker {}: {}", slot + 1, e.what());
        if (!replacement) schedule_restart(slot);
        return nullptr;
    }
    if (pid == 0) {
        nodus::detail::reset_reaper_in_child();
        parent_end.reset();
        become_worker(slot, index, child_end.release());
    }
    child_end.reset();
    table_.set_pid(index, pid);

    auto w = std::make_shared<worker_process>();
    w->slot = slot;
    w->pid = pid;
    w->table_index = index;
    w->generation = reload_.generation();
    w->replacement = replacement;
    w->started = clock::now();
    w->heard = w->started;
    w->watchdog = milliseconds(cfg_.cluster.watchdog_ms);
    w->chan = ipc::channel(parent_end.release());
    w->timer = std::make_unique<asio::steady_timer>(nodus::io_context());
    workers_[pid] = w;
    if (!replacement) slots_[static_cast<std::size_t>(slot)].current = w;
    watch(w);
    lg().info("cluster: started worker {} (pid {}){}", slot + 1, pid, replacement ? " as a replacement" : "");
    return w;
}

// The new worker's channel, its exit, and its deadline to be listening.
void master::watch(const worker_ptr& w) {
    auto self = shared_from_this();
    std::weak_ptr<worker_process> weak = w;
    ipc::detail::on_control(w->chan, [self, weak](std::string_view msg) {
        if (auto w2 = weak.lock(); w2 && self->alive()) self->on_control(w2, msg);
    });
    w->chan.on_message([self, weak](std::string_view msg) {
        auto w2 = weak.lock();
        if (!w2 || !self->alive()) return;
        w2->heard = clock::now();
        for (auto& fn : state().on_master_message) fn(w2->slot + 1, msg);
    });
    nodus::detail::watch_child(w->pid, [self, w](int status) {
        if (self->alive()) self->on_exit(w, status);
    });
    w->timer->expires_after(milliseconds(cfg_.cluster.ready_timeout_ms));
    w->timer->async_wait([self, weak](const boost::system::error_code& ec) {
        auto w2 = weak.lock();
        if (ec || !w2 || !self->alive() || w2->ph != phase::starting) return;
        lg().error("cluster: worker {} (pid {}) was not listening after {} ms; killing it", w2->slot + 1,
                   w2->pid, self->cfg_.cluster.ready_timeout_ms);
        w2->timed_out = true;
        ::kill(w2->pid, SIGKILL);
    });
}

void master::become_worker(int slot, int table_index, int ipc_fd) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    // The master may have died between fork() and prctl(): then no signal would come.
    if (::getppid() != self_) ::_exit(1);
    const int listen_fd = listen_fd_for(slot);
    teardown_in_child(listen_fd);
    auto& st = state();
    st.r = role::worker;
    st.worker_id = slot + 1;
    st.table_index = table_index;
    st.ipc_fd_for_worker = ipc_fd;
    st.listen_fd = listen_fd;
    st.on_master_message.clear();
    st.on_master_start.clear();
    try {
        nodus::log::init(cfg_.log, "worker " + std::to_string(slot + 1));
    } catch (const std::exception& e) {
        // The master's loop is no place to unwind to from here; the master sees a worker
        // that exited before it was listening.
        lg().critical("cluster: worker {}: {}", slot + 1, e.what());
        nodus::log::shutdown();
        ::_exit(1);
    }
    worker_setup setup;
    setup.id = slot + 1;
    setup.listen_fd = listen_fd;
    setup.ipc_fd = ipc_fd;
    setup.port = listeners_.port();
    setup.http = cfg_.http;
    setup.tls = cfg_.tls;
    setup.round_robin = mode_ == balance::round_robin;
    setup.fair_accept = mode_ == balance::shared && cfg_.cluster.fair_accept;
    setup.watchdog_ms = cfg_.cluster.watchdog_ms;
    throw became_worker{setup};
}

void master::teardown_in_child(int keep_fd) noexcept {
    dead_ = true;
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    signals_.clear(ignored); // back to the default actions
    stop_timer_.cancel();
    drain_timer_.cancel();
    // A scrape in progress is the master's: its callbacks hold the admin listener's
    // responses, which the worker closes without answering (they stay unrun).
    for (auto& [seq, s] : scrapes_)
        if (s.timer) s.timer->cancel();
    decay_.cancel();
    // Connections the master holds must not stay open in a worker as well: the client
    // would see no end of them when their real owner closes its copy.
    if (rr_) rr_->close(true);
    for (auto& [pid, w] : workers_) {
        w->chan.close(); // with any descriptors queued on it
        w->timer->cancel();
    }
    workers_.clear();
    for (auto& s : slots_) {
        if (s.restart_timer) s.restart_timer->cancel();
        s.current.reset();
    }
    reload_.abort(true);
    listeners_.leave_in_child(keep_fd);
}

void master::on_control(const worker_ptr& w, std::string_view msg) {
    w->heard = clock::now(); // its stats, sent on a timer, are its heartbeat
    if (msg.empty()) {
        lg().error("cluster: empty control message from worker {}", w->slot + 1);
        return;
    }
    switch (static_cast<control>(msg[0])) {
    case control::online: lg().debug("cluster: worker {} (pid {}) is online", w->slot + 1, w->pid); break;
    case control::listening:
        on_ready(w);
        if (rr_) rr_->dispatch();
        break;
    case control::stats:
        if (msg.size() != 17) {
            lg().error("cluster: malformed stats message from worker {}", w->slot + 1);
            break;
        }
        w->connections = read_u64(msg, 1);
        w->requests = read_u64(msg, 9);
        break;
    case control::publish: publish(msg); break;
    case control::metrics_reply: on_metrics_reply(w, msg); break;
    case control::readiness: on_readiness(w, msg); break;
    default: lg().error("cluster: unknown control message {} from worker {}", int(msg[0]), w->slot + 1);
    }
}

void master::on_ready(const worker_ptr& w) {
    if (w->ph != phase::starting) return;
    w->ph = phase::ready;
    w->timer->cancel();
    table_.promote(w->table_index);
    lg().info("cluster: worker {} (pid {}) is listening", w->slot + 1, w->pid);
    if (stopping_) {
        retire(w, control::shutdown);
        return;
    }
    watch_liveness(w);
    auto& s = slots_[static_cast<std::size_t>(w->slot)];
    if (w->replacement) {
        w->replacement = false;
        auto old = s.current;
        s.current = w;
        reload_.replacement_done(w);
        if (old && old != w && old->ph != phase::retiring) retire(old, control::retire);
        reload_step();
        return;
    }
    if (starting_ && ++ready_at_start_ == static_cast<std::size_t>(n_)) {
        starting_ = false;
        lg().info("cluster: all {} workers are listening", n_);
    }
    if (reload_.running()) reload_step();
}

void master::retire(const worker_ptr& w, control why) {
    if (w->ph == phase::retiring && why != control::shutdown) return;
    w->ph = phase::retiring;
    w->timer->cancel(); // the watchdog: a retiring worker has its own deadline
    table_.set_state(w->table_index, slot_retiring);
    if (!ipc::detail::send_control(w->chan, control_message(why))) ::kill(w->pid, SIGTERM);
    if (why != control::retire) return; // a stop has its own deadline for everyone (stop_timer_)
    auto self = shared_from_this();
    std::weak_ptr<worker_process> weak = w;
    w->timer->expires_after(milliseconds(cfg_.cluster.shutdown_timeout_ms));
    w->timer->async_wait([self, weak](const boost::system::error_code& ec) {
        auto w2 = weak.lock();
        if (ec || !w2 || !self->alive() || !self->workers_.count(w2->pid)) return;
        lg().warn("cluster: retired worker {} (pid {}) still running after {} ms; killing it", w2->slot + 1,
                  w2->pid, self->cfg_.cluster.shutdown_timeout_ms);
        ::kill(w2->pid, SIGKILL);
    });
}

void master::on_exit(const worker_ptr& w, int status) {
    table_.release(w->table_index);
    w->table_index = -1;
    w->timer->cancel();
    w->chan.close();
    workers_.erase(w->pid);
    auto& s = slots_[static_cast<std::size_t>(w->slot)];
    if (s.current == w) s.current.reset();
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const auto what = describe_status(status) + (w->silent ? " (the watchdog)" : "");

    if (stopping_) {
        lg().info("cluster: worker {} (pid {}) {}", w->slot + 1, w->pid, what);
        if (workers_.empty()) all_exited();
        return;
    }
    if (w->ph == phase::retiring) {
        lg().info("cluster: retired worker {} (pid {}) {}", w->slot + 1, w->pid, what);
        if (reopen_waiting_ && workers_.empty()) reopen_listeners();
        return;
    }
    if (w->replacement) {
        reload_failed(w, "it " + what + " before it was listening");
        return;
    }
    if (starting_ && w->ph == phase::starting) {
        lg().critical("cluster: worker {} (pid {}) {} before it was ready at startup; giving up", w->slot + 1,
                      w->pid, w->timed_out ? "was not listening in time" : what);
        stop(1, "a worker failed at startup");
        return;
    }
    lg().error("cluster: worker {} (pid {}) {}{}", w->slot + 1, w->pid, what, clean ? " unexpectedly" : "");
    on_crash(w);
}

void master::on_crash(const worker_ptr& w) {
    if (restarts_->on_crash(w->slot, clock::now() - w->started, cfg_.cluster)) {
        lg().critical("cluster: crash loop: {} worker crashes within {} s (limit {}); stopping",
                      restarts_->recent_crashes(), cfg_.cluster.crash_window_s, cfg_.cluster.crash_limit);
        stop(1, "crash loop");
        return;
    }
    // The slot's replacement from a running reload takes its place instead.
    if (reload_.replacement() && reload_.replacement()->slot == w->slot) return;
    schedule_restart(w->slot);
}

void master::schedule_restart(int slot) {
    auto& s = slots_[static_cast<std::size_t>(slot)];
    if (s.restart_pending || stopping_) return;
    ++restarts_total_;
    auto delay = restarts_->next_restart(slot);
    if (delay.count() == 0) {
        spawn(slot, false);
        return;
    }
    lg().warn("cluster: restarting worker {} in {} ms", slot + 1, delay.count());
    if (!s.restart_timer) s.restart_timer = std::make_unique<asio::steady_timer>(nodus::io_context());
    s.restart_pending = true;
    s.restart_timer->expires_after(delay);
    auto self = shared_from_this();
    s.restart_timer->async_wait([self, slot](const boost::system::error_code& ec) {
        if (!self->alive()) return;
        self->slots_[static_cast<std::size_t>(slot)].restart_pending = false;
        if (ec || self->stopping_) return;
        self->spawn(slot, false);
    });
}

void master::stop(int code, const std::string& why) {
    if (stopping_) return;
    stopping_ = true;
    exit_code_ = code;
    reload_.abort(false);
    // Every worker is about to drain: take no more connections. The socket stays open
    // until the master exits, as with the other balance modes.
    if (rr_) rr_->close(true);
    lg().info("cluster: stopping ({}): draining {} worker(s), deadline {} ms", why, workers_.size(),
              cfg_.cluster.shutdown_timeout_ms);
    for (auto& s : slots_)
        if (s.restart_timer) s.restart_timer->cancel();
    for (auto& [pid, w] : workers_) retire(w, control::shutdown);
    if (workers_.empty()) {
        all_exited();
        return;
    }
    auto self = shared_from_this();
    stop_timer_.expires_after(milliseconds(cfg_.cluster.shutdown_timeout_ms));
    stop_timer_.async_wait([self](const boost::system::error_code& ec) {
        if (ec || !self->alive()) return;
        for (auto& [pid, w] : self->workers_) {
            lg().warn("cluster: worker {} (pid {}) did not stop within {} ms; killing it", w->slot + 1, pid,
                      self->cfg_.cluster.shutdown_timeout_ms);
            ::kill(pid, SIGKILL);
        }
    });
}

// With [admin] drain_delay_ms, readiness answers 503 first and the workers keep serving
// for that long, so a load balancer stops sending before any connection is closed.
void master::begin_stop(int signo) {
    std::string why = std::string{"SIG"} + ::sigabbrev_np(signo);
    if (cfg_.admin.drain_delay_ms == 0) {
        stop(0, why);
        return;
    }
    draining_ = true;
    lg().info("cluster: {}: not ready; draining in {} ms", why, cfg_.admin.drain_delay_ms);
    drain_timer_.expires_after(milliseconds(cfg_.admin.drain_delay_ms));
    auto self = shared_from_this();
    drain_timer_.async_wait([self, why](const boost::system::error_code& ec) {
        if (!ec && self->alive()) self->stop(0, why);
    });
}

void master::stop_now(int signo) {
    lg().warn("cluster: second {} while stopping: killing {} worker(s) now", ::sigabbrev_np(signo),
              workers_.size());
    if (rr_) rr_->close(true);
    for (auto& [pid, w] : workers_) ::kill(pid, SIGKILL);
    nodus::detail::reap_all_blocking();
    workers_.clear();
    exit_code_ = 1;
    all_exited();
}

void master::all_exited() {
    exit_now_ = true;
    nodus::io_context().stop();
}

void master::wait_signals() {
    auto self = shared_from_this();
    signals_.async_wait([self](const boost::system::error_code& ec, int signo) {
        if (ec || !self->alive()) return;
        self->on_signal(signo);
        if (self->alive() && !self->exit_now_) self->wait_signals();
    });
}

void master::on_signal(int signo) {
    switch (signo) {
    case SIGTERM:
    case SIGINT:
        if (stopping_ || draining_) stop_now(signo);
        else begin_stop(signo);
        break;
    case SIGHUP:
        if (!stopping_) reload();
        break;
    case SIGUSR1:
        // As nginx: reopen the log files (logrotate), in every worker too; then the table.
        // Not to a worker still starting: it subscribes only when it listens, and until
        // then the signal would end it.
        nodus::log::reopen();
        for (auto& [pid, w] : workers_)
            if (w->ph != phase::starting) ::kill(pid, SIGUSR1);
        log_table();
        break;
    default: break;
    }
}

std::shared_ptr<master>& the_master() {
    static auto* m = new std::shared_ptr<master>;
    return *m;
}

master_options& test_master_options() noexcept {
    static master_options o;
    return o;
}

namespace {

// No exception may end the master: the workers depend on it. A handler that throws has
// done what it could; the loop goes on with the next one.
void run_guarded(asio::io_context& io) {
    try {
        io.run();
    } catch (became_worker&) {
        throw;
    } catch (const std::exception& e) {
        lg().error("cluster: master: an error reached the loop (going on): {}", e.what());
    } catch (...) {
        lg().error("cluster: master: an unknown error reached the loop (going on)");
    }
}

} // namespace

// A worker is forked deep inside the master's loop (a restart timer, a reload step, a
// channel callback); the exception carries it out of every master frame and out of
// io_context::run() in one move, so no master code runs on in the child after fork()
// returned 0. The child then serves on the same io_context, whose remaining master
// handlers find the master dead and return.
std::optional<worker_setup> run_master(const config& cfg, int& exit_code) {
    auto m = std::make_shared<master>(cfg, test_master_options());
    m->bind(); // throws before anything forked
    the_master() = m;
    state().r = role::master;
    nodus::log::init(cfg.log, "master");
    if (auto bound = std::move(state().on_master_bound)) bound();
    auto& io = nodus::io_context();
    try {
        m->start();
        while (!m->exit_now()) {
            io.restart();
            run_guarded(io);
        }
    } catch (became_worker& w) {
        return w.setup;
    }
    m->finish();
    exit_code = m->exit_code();
    return std::nullopt;
}

} // namespace nodus::cluster::detail
