#include <nodus/cluster/cluster.hpp>

#include "cluster/detail/state.hpp"

#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <sched.h>
#include <unistd.h>

namespace nodus::cluster {

namespace detail {

process_state& state() noexcept {
    static process_state* s = new process_state; // outlives every static destructor
    return *s;
}

} // namespace detail

bool is_master() noexcept { return detail::state().r == detail::role::master; }
bool is_worker() noexcept { return detail::state().r == detail::role::worker; }
int worker_id() noexcept { return detail::state().worker_id; }

bool send(std::string_view msg) {
    if (!is_worker()) return false;
    return detail::worker_send(msg);
}

bool send(int id, std::string_view msg) {
    if (!is_master()) return false;
    return detail::master_send(id, msg);
}

std::size_t broadcast(std::string_view msg) {
    if (!is_master()) return 0;
    return detail::master_broadcast(msg);
}

void on_message(std::function<void(std::string_view)> fn) {
    detail::state().on_message.push_back(std::move(fn));
}

void on_master_message(std::function<void(int, std::string_view)> fn) {
    detail::state().on_master_message.push_back(std::move(fn));
}

void on_master_start(std::function<void()> fn) { detail::state().on_master_start.push_back(std::move(fn)); }

std::vector<worker_info> workers() {
    if (!is_master()) return {};
    return detail::master_workers();
}

namespace {

// The cgroup v2 CPU quota of this process, rounded up; 0 when there is none.
int cgroup_cpu_limit() {
    std::ifstream cg{"/proc/self/cgroup"};
    std::string line, path;
    while (std::getline(cg, line)) {
        if (line.rfind("0::", 0) == 0) {
            path = line.substr(3);
            break;
        }
    }
    if (path.empty()) return 0;
    int best = 0;
    // A quota anywhere up the hierarchy limits us; take the tightest.
    for (;;) {
        std::ifstream f{"/sys/fs/cgroup" + (path == "/" ? std::string{} : path) + "/cpu.max"};
        std::string quota;
        long period = 0;
        if (f >> quota >> period && quota != "max" && period > 0) {
            long q = std::atol(quota.c_str());
            int cpus = static_cast<int>((q + period - 1) / period);
            if (cpus > 0 && (best == 0 || cpus < best)) best = cpus;
        }
        if (path == "/" || path.empty()) break;
        auto slash = path.rfind('/');
        path = slash == 0 ? "/" : path.substr(0, slash);
    }
    return best;
}

} // namespace

int resolve_workers(const cluster_config& cfg) {
    if (cfg.workers != workers_auto) return cfg.workers;
    int cpus = 1;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
    else cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    if (int limit = cgroup_cpu_limit(); limit > 0 && limit < cpus) cpus = limit;
    return cpus < 1 ? 1 : cpus;
}

} // namespace nodus::cluster
