// SIGHUP in the master: a rolling reload (rolling_reload says which slot is next), or
// with master_options::reload_reopens the naive reload the tests compare it with.
#include "cluster/detail/master.hpp"

#include <nodus/config/setting.hpp>
#include <nodus/log/log.hpp>

#include <spdlog/spdlog.h>

#include <exception>
#include <system_error>

namespace nodus::cluster::detail {

namespace {
spdlog::logger& lg() { return nodus::log::get(); }
} // namespace

void master::reload() {
    auto next = reread_config(cfg_);
    if (!next) return;
    // reread_config opened the log destination a moment ago; should it fail now anyway,
    // the master goes on with the configuration it has.
    try {
        nodus::log::init(next->log, "master");
    } catch (const std::exception& e) {
        try {
            nodus::log::init(cfg_.log, "master");
        } catch (const std::exception&) {
            // Then the fallback logger (stderr) it already writes to.
        }
        lg().error("cluster: reload: {}; keeping the current configuration", e.what());
        return;
    }
    cfg_ = std::move(*next);
    // The workers forked from now on start with the application settings read just now.
    nodus::apply_settings(cfg_);
    ++reloads_total_;
    const bool begun = reload_.begin();
    if (opts_.reload_reopens) {
        reload_.finish();
        reload_by_reopening();
        return;
    }
    if (!begun) {
        lg().info("cluster: reload requested during a reload: every worker will be of generation {}",
                  reload_.generation());
        return;
    }
    lg().info("cluster: reload (generation {}): replacing {} worker(s) one by one", reload_.generation(), n_);
    reload_step();
}

void master::reload_step() {
    if (stopping_) return;
    auto step = reload_.next(slots_);
    if (step.what == rolling_reload::step::wait) return;
    if (step.what == rolling_reload::step::done) {
        reload_.finish();
        lg().info("cluster: reload complete: {} worker(s) of generation {}", n_, reload_.generation());
        return;
    }
    auto w = spawn(step.slot, true);
    if (!w) {
        reload_.abort(true);
        lg().error("cluster: reload aborted: cannot fork a replacement for worker {}", step.slot + 1);
        return;
    }
    reload_.replacing(std::move(w));
}

void master::reload_failed(const worker_ptr& w, const std::string& why) {
    lg().error("cluster: reload aborted: the new worker {} (pid {}) {}; keeping the running workers",
               w->slot + 1, w->pid, why);
    reload_.replacement_done(w);
    reload_.abort(false);
    // Its slot may have lost its old worker meanwhile.
    auto& s = slots_[static_cast<std::size_t>(w->slot)];
    if (!s.current && !s.restart_pending && !stopping_) schedule_restart(w->slot);
}

// master_options::reload_reopens: close the listener, let every worker go, bind again.
void master::reload_by_reopening() {
    if (reopen_waiting_) return;
    lg().info("cluster: reload (generation {}): closing the listener and restarting every worker",
              reload_.generation());
    reopen_waiting_ = true;
    if (rr_) rr_->close(false);
    listeners_.close();
    for (auto& [pid, w] : workers_) retire(w, control::retire);
    if (workers_.empty()) reopen_listeners();
}

void master::reopen_listeners() {
    reopen_waiting_ = false;
    try {
        listeners_.rebind(cfg_.server);
    } catch (const std::system_error& e) {
        lg().critical("cluster: reload: {}", e.what());
        stop(1, "cannot re-bind");
        return;
    }
    for (int i = 0; i < n_; ++i) spawn(i, false);
    if (rr_ && !stopping_) rr_->open(listeners_.for_slot(0));
}

} // namespace nodus::cluster::detail
