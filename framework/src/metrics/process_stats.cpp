// Process series in the names Prometheus's client libraries use, plus the loop's lag and
// the thread pool's queue.
#include "metrics/detail/process_stats.hpp"
#include "metrics/detail/registry.hpp"

#include "loop/detail/threadpool.hpp"

#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

namespace nodus::metrics::detail {

namespace {

using clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds lag_period{10};
constexpr std::array<double, 13> lag_bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,    1,     2.5,  5,     10};

struct lag_monitor {
    bool started = false;
    nodus::timer t;
    clock::time_point due{};
    clock::duration last{};
    std::array<std::uint64_t, lag_bounds.size() + 1> buckets{};
    double sum = 0;
};

lag_monitor& lag() {
    static auto* m = new lag_monitor;
    return *m;
}

void arm_lag() {
    auto& m = lag();
    m.due = clock::now() + lag_period;
    m.t = nodus::set_timeout(lag_period, [] {
        auto& m2 = lag();
        auto late = clock::now() - m2.due;
        if (late < clock::duration::zero()) late = clock::duration::zero();
        m2.last = late;
        double s = std::chrono::duration<double>(late).count();
        std::size_t i = 0;
        while (i < lag_bounds.size() && s > lag_bounds[i]) ++i;
        ++m2.buckets[i];
        m2.sum += s;
        arm_lag();
    });
    m.t.unref(); // measuring never keeps a process alive
}

struct proc_stat {
    double cpu_seconds = 0;
    double start_time = 0;
    double vsize = 0;
    double rss = 0;
};

// /proc/self/stat, fields 14-15 (utime, stime), 22 (starttime), 23 (vsize), 24 (rss).
bool read_stat(proc_stat& out) {
    std::FILE* f = std::fopen("/proc/self/stat", "re");
    if (!f) return false;
    char buf[1024];
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char* p = std::strrchr(buf, ')'); // the command name may hold spaces
    if (!p) return false;
    unsigned long long v[22] = {};
    // Fields from 3 (state) on; state is a character.
    char state = 0;
    if (std::sscanf(p + 1,
                    " %c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
                    "%llu %llu %llu "
                    "%llu %llu",
                    &state, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
                    &v[11], &v[12], &v[13], &v[14], &v[15], &v[16], &v[17], &v[18], &v[19], &v[20]) != 22)
        return false;
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    out.cpu_seconds = static_cast<double>(v[10] + v[11]) / tick; // fields 14, 15
    out.vsize = static_cast<double>(v[19]); // field 23
    out.rss = static_cast<double>(v[20]) * static_cast<double>(::sysconf(_SC_PAGESIZE)); // field 24
    timespec boot{}, real{};
    ::clock_gettime(CLOCK_BOOTTIME, &boot);
    ::clock_gettime(CLOCK_REALTIME, &real);
    double since_boot = static_cast<double>(v[18]) / tick; // field 22
    out.start_time = static_cast<double>(real.tv_sec) - static_cast<double>(boot.tv_sec) + since_boot;
    return true;
}

double open_fds() {
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return 0;
    double n = 0;
    while (auto* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n - 1; // the directory's own descriptor
}

void add_process(snapshot& s) {
    proc_stat st;
    if (read_stat(st)) {
        family_of(s, "process_cpu_seconds", "User and system CPU time spent, in seconds.", kind::counter)
            .rows.push_back({{}, st.cpu_seconds, {}, 0});
        family_of(s, "process_resident_memory_bytes", "Resident memory size, in bytes.", kind::gauge)
            .rows.push_back({{}, st.rss, {}, 0});
        family_of(s, "process_virtual_memory_bytes", "Virtual memory size, in bytes.", kind::gauge)
            .rows.push_back({{}, st.vsize, {}, 0});
        family_of(s, "process_start_time_seconds",
                  "Start time of the process since the Unix epoch, in seconds.", kind::gauge)
            .rows.push_back({{}, st.start_time, {}, 0});
    }
    family_of(s, "process_open_fds", "Open file descriptors.", kind::gauge)
        .rows.push_back({{}, open_fds(), {}, 0});
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0)
        family_of(s, "process_max_fds", "The limit of open file descriptors.", kind::gauge)
            .rows.push_back({{}, static_cast<double>(rl.rlim_cur), {}, 0});
}

void add_loop(snapshot& s) {
    auto& m = lag();
    auto& f = family_of(s, "nodus_loop_lag_seconds", "How late the event loop ran a 10 ms timer, in seconds.",
                        kind::histogram);
    f.bounds.assign(lag_bounds.begin(), lag_bounds.end());
    series row;
    row.buckets.assign(m.buckets.begin(), m.buckets.end());
    row.sum = m.sum;
    f.rows.push_back(std::move(row));
    family_of(s, "nodus_threadpool_jobs", "Thread-pool jobs queued or running.", kind::gauge)
        .rows.push_back({{}, static_cast<double>(nodus::detail::threadpool_pending()), {}, 0});
    family_of(s, "nodus_access_log_lines_dropped",
              "Access-log lines lost because the destination was full, failing or too slow.", kind::counter)
        .rows.push_back({{}, static_cast<double>(log::access_lines_dropped()), {}, 0});
}

} // namespace

void start_process_stats() {
    auto& m = lag();
    if (m.started) return;
    m.started = true;
    arm_lag();
    add_source(add_loop);
    add_source(add_process);
}

std::chrono::milliseconds loop_lag() noexcept {
    auto& m = lag();
    auto late = m.last;
    if (m.started) {
        auto overdue = clock::now() - m.due;
        if (overdue > late) late = overdue;
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(late);
}

} // namespace nodus::metrics::detail
