// What the application (cluster::send, broadcast, workers) and SIGUSR1 see of the master.
#include "cluster/detail/master.hpp"
#include "ipc/detail/control.hpp"

#include <nodus/log/log.hpp>

#include <spdlog/spdlog.h>

#include <chrono>

namespace nodus::cluster::detail {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {
spdlog::logger& lg() { return nodus::log::get(); }
} // namespace

const char* to_string(phase p) noexcept {
    switch (p) {
    case phase::starting: return "starting";
    case phase::ready: return "ready";
    case phase::retiring: return "retiring";
    }
    return "?";
}

void master::log_table() {
    auto now = clock::now();
    lg().info("cluster: {} worker process(es), generation {}{}", workers_.size(), reload_.generation(),
              reload_.running() ? ", reloading"
                  : stopping_   ? ", stopping"
                                : "");
    lg().info("  {:>3} {:>8} {:>9} {:>10} {:>8} {:>11} {:>12}", "id", "pid", "state", "uptime_s", "restarts",
              "connections", "requests");
    for (auto& [pid, w] : workers_) {
        double up = std::chrono::duration<double>(now - w->started).count();
        lg().info("  {:>3} {:>8} {:>9} {:>10.1f} {:>8} {:>11} {:>12}", w->slot + 1, pid, to_string(w->ph), up,
                  restarts_->restarts(w->slot), table_.connections(w->table_index), w->requests);
    }
}

bool master::send_to(int id, std::string_view msg) {
    if (id < 1 || id > n_) return false;
    auto& s = slots_[static_cast<std::size_t>(id - 1)];
    if (!s.current || s.current->ph == phase::retiring) return false;
    return s.current->chan.send(msg);
}

std::size_t master::broadcast(std::string_view msg) {
    std::size_t sent = 0;
    for (auto& s : slots_)
        if (s.current && s.current->ph != phase::retiring && s.current->chan.send(msg)) ++sent;
    return sent;
}

std::size_t master::publish(std::string_view payload) {
    std::size_t sent = 0;
    for (auto& s : slots_)
        if (s.current && s.current->ph != phase::retiring && ipc::detail::send_control(s.current->chan, payload))
            ++sent;
    return sent;
}

std::vector<worker_info> master::list() const {
    std::vector<worker_info> out;
    auto now = clock::now();
    for (auto& [pid, w] : workers_) {
        worker_info i;
        i.id = w->slot + 1;
        i.pid = pid;
        i.ready = w->ph == phase::ready;
        i.retiring = w->ph == phase::retiring;
        i.uptime = std::chrono::duration_cast<milliseconds>(now - w->started);
        i.restarts = restarts_->restarts(w->slot);
        i.connections = table_.connections(w->table_index);
        i.requests = w->requests;
        out.push_back(i);
    }
    return out;
}

bool master_send(int id, std::string_view msg) {
    auto& m = the_master();
    return m && m->send_to(id, msg);
}

std::size_t master_broadcast(std::string_view msg) {
    auto& m = the_master();
    return m ? m->broadcast(msg) : 0;
}

std::size_t master_publish(std::string_view payload) {
    auto& m = the_master();
    return m ? m->publish(payload) : 0;
}

std::vector<worker_info> master_workers() {
    auto& m = the_master();
    return m ? m->list() : std::vector<worker_info>{};
}

} // namespace nodus::cluster::detail
