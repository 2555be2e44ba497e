// The cluster master: owns the listening sockets, forks and supervises the workers,
// reloads and stops them. It runs no HTTP; with balance = round_robin it accepts the
// connections itself and passes each one to the next worker over that worker's channel.
#include "cluster/detail/reaper.hpp"
#include "cluster/detail/state.hpp"

#include <nodus/ipc/channel.hpp>
#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nodus::cluster::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

spdlog::logger& lg() { return nodus::log::get(); }

// Thrown in a freshly forked worker to unwind out of the master's loop.
struct became_worker {
    worker_setup setup;
};

std::string show_host(const std::string& h) {
    return h.find(':') != std::string::npos ? "[" + h + "]" : h;
}

void set_cloexec_nonblock(int fd) {
    ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Bind `count` listening sockets to host:port (count > 1 only with SO_REUSEPORT).
// Port 0 takes an ephemeral port for the first socket and reuses it for the others.
std::vector<int> bind_listeners(const std::string& host, std::uint16_t& port, int backlog, int count,
                                bool reuseport) {
    std::string where = show_host(host) + ":" + std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    std::string port_text = std::to_string(port);
    if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &res);
        rc != 0) {
        throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                                "cannot listen on " + where + ": " + ::gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard{res, &::freeaddrinfo};
    std::vector<int> fds;
    int last_error = EADDRNOTAVAIL;
    for (addrinfo* ai = res; ai && fds.empty(); ai = ai->ai_next) {
        std::uint16_t chosen = port;
        for (int i = 0; i < count; ++i) {
            int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
            if (fd < 0) {
                last_error = errno;
                break;
            }
            int one = 1;
            ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (reuseport) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
            sockaddr_storage addr{};
            std::memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
            if (addr.ss_family == AF_INET)
                reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(chosen);
            else if (addr.ss_family == AF_INET6)
                reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(chosen);
            if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), ai->ai_addrlen) != 0 ||
                ::listen(fd, backlog) != 0) {
                last_error = errno;
                ::close(fd);
                break;
            }
            if (chosen == 0) {
                sockaddr_storage bound{};
                socklen_t len = sizeof bound;
                ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
                chosen = bound.ss_family == AF_INET
                             ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                             : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
            }
            fds.push_back(fd);
        }
        if (static_cast<int>(fds.size()) != count) {
            for (int fd : fds) ::close(fd);
            fds.clear();
        } else {
            port = chosen;
        }
    }
    if (fds.empty())
        throw std::system_error(last_error, std::system_category(), "cannot listen on " + where);
    return fds;
}

// The address a socket is bound to, as host text and port.
void bound_address(int fd, std::string& host, std::uint16_t& port) {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return;
    char buf[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
        auto* in = reinterpret_cast<sockaddr_in*>(&a);
        ::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
        port = ntohs(in->sin_port);
    } else if (a.ss_family == AF_INET6) {
        auto* in = reinterpret_cast<sockaddr_in6*>(&a);
        ::inet_ntop(AF_INET6, &in->sin6_addr, buf, sizeof buf);
        port = ntohs(in->sin6_port);
    }
    host = buf;
}

// systemd socket activation: fds 3.. when LISTEN_PID names this process.
std::vector<int> systemd_fds() {
    const char* pid = std::getenv("LISTEN_PID");
    const char* n = std::getenv("LISTEN_FDS");
    if (!pid || !n || std::atol(pid) != static_cast<long>(::getpid())) return {};
    int count = std::atoi(n);
    std::vector<int> fds;
    for (int i = 0; i < count; ++i) fds.push_back(3 + i);
    // Our children are not the process systemd meant.
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    return fds;
}

std::vector<std::string> own_argv() {
    std::ifstream f{"/proc/self/cmdline", std::ios::binary};
    std::string all{std::istreambuf_iterator<char>(f), {}};
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < all.size()) {
        auto end = all.find('\0', pos);
        if (end == std::string::npos) end = all.size();
        out.push_back(all.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

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

// accept() errors that belong to one connection (Linux reports a new socket's pending
// network error from accept): skip it and take the next.
bool connection_error(int err) noexcept {
    switch (err) {
    case EINTR: case ECONNABORTED: case EPROTO: case EPERM: case ENETDOWN: case ENETUNREACH:
    case ENOPROTOOPT: case EHOSTDOWN: case EHOSTUNREACH: case ENONET: case EOPNOTSUPP:
        return true;
    default:
        return false;
    }
}

// Connections taken per readiness event before the master lets its loop run other work.
constexpr int accept_batch = 64;

std::uint64_t read_u64(std::string_view s, std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
    return v;
}

enum class phase { starting, ready, retiring };

struct instance {
    int slot = 0;   // 0-based; the worker's id is slot + 1
    pid_t pid = 0;
    int table_index = -1;
    unsigned generation = 0;
    ipc::channel chan;
    phase ph = phase::starting;
    bool replacement = false;   // forked by a reload, not yet in its slot
    bool timed_out = false;
    clock::time_point started;
    std::unique_ptr<asio::steady_timer> timer;   // ready timeout, later the retire deadline
    std::uint64_t requests = 0;
    std::uint64_t connections = 0;
};
using instance_ptr = std::shared_ptr<instance>;

struct slot_info {
    instance_ptr current;
    unsigned restarts = 0;
    unsigned consecutive = 0;   // crashes since the slot last ran a stable minute
    std::unique_ptr<asio::steady_timer> restart_timer;
    bool restart_pending = false;
};

class master : public std::enable_shared_from_this<master> {
public:
    explicit master(const config& c)
        : cfg_(c), signals_(nodus::io_context()), stop_timer_(nodus::io_context()),
          accept_retry_(nodus::io_context()), dispatch_retry_(nodus::io_context()) {}

    void bind();
    void start();
    [[noreturn]] void finish();
    bool exit_now() const noexcept { return exit_now_; }

    bool send_to(int id, std::string_view msg);
    std::size_t broadcast(std::string_view msg);
    std::vector<worker_info> list() const;

private:
    instance_ptr spawn(int slot, bool replacement);
    [[noreturn]] void become_worker(int slot, int table_index, int ipc_fd);
    void teardown_in_child(int keep_fd) noexcept;
    void on_control(const instance_ptr& w, std::string_view msg);
    void on_ready(const instance_ptr& w);
    void on_exit(const instance_ptr& w, int status);
    void on_crash(const instance_ptr& w);
    void schedule_restart(int slot);
    void retire(const instance_ptr& w, control why);
    void stop(int code, const std::string& why);
    void stop_now(int signo);
    void reload();
    void reload_step();
    void reload_failed(const instance_ptr& w, const std::string& why);
    void reopen_listeners();
    void log_table();
    void wait_signals();
    void on_signal(int signo);
    int alloc_table_index(pid_t pid);
    void free_table_index(int i) noexcept;
    void set_table_state(const instance_ptr& w, std::uint32_t st) noexcept;
    bool alive() const noexcept { return !dead_; }

    // balance = round_robin
    void open_accept();
    void close_accept(bool drop_queued) noexcept;
    void arm_accept();
    void on_acceptable();
    void back_off_accept();
    void dispatch_queued();
    bool pass_to_worker(int fd);

    config cfg_;
    int n_ = 0;
    bool reuseport_ = false;
    std::vector<int> fds_;
    std::string host_;
    std::uint16_t port_ = 0;
    std::vector<slot_info> slots_;
    std::map<pid_t, instance_ptr> instances_;
    std::deque<clock::time_point> crashes_;
    asio::signal_set signals_;
    asio::steady_timer stop_timer_;
    nodus::timer decay_;   // halves the workers' recent-accept counts
    pid_t self_ = ::getpid();
    std::mt19937 rng_{std::random_device{}()};
    bool starting_ = true;
    std::size_t ready_at_start_ = 0;
    bool stopping_ = false;
    bool exit_now_ = false;
    int exit_code_ = 0;
    bool dead_ = false;     // true in a forked worker: every master handler stands down
    bool reloading_ = false;
    unsigned generation_ = 0;
    instance_ptr reload_new_;
    bool reopen_ = false;   // test-only: a reload that closes and re-binds the listener
    bool reopen_waiting_ = false;

    // balance = round_robin: the master accepts on fds_[0] and passes each connection on.
    bool rr_ = false;
    std::unique_ptr<asio::posix::stream_descriptor> accept_watch_;
    asio::steady_timer accept_retry_;
    asio::steady_timer dispatch_retry_;
    bool accept_armed_ = false;     // a readiness wait is pending
    bool accept_paused_ = false;    // the queue is full: the rest wait in the kernel's backlog
    bool accept_backoff_ = false;   // accept failed (no descriptors?): waiting a little
    bool dispatch_pending_ = false;
    std::deque<int> queued_;        // accepted, no worker could take them yet
    std::size_t queue_limit_ = 0;
    std::size_t next_slot_ = 0;    // where the round robin goes on
};

std::shared_ptr<master>& the_master() {
    static auto* m = new std::shared_ptr<master>;
    return *m;
}

void master::bind() {
    n_ = resolve_workers(cfg_.cluster);
    if (n_ < 1) n_ = 1;
    reuseport_ = cfg_.cluster.balance == "reuseport";
    rr_ = cfg_.cluster.balance == "round_robin";
    queue_limit_ = static_cast<std::size_t>(std::max(1, cfg_.server.backlog));
    reopen_ = [] {
        const char* v = std::getenv("NODUS_TEST_RELOAD_REOPEN");
        return v && *v && std::string_view{v} != "0";
    }();
    if (reopen_) lg().warn("cluster: NODUS_TEST_RELOAD_REOPEN is set: reloads close the listener (test only)");

    if (auto sd = systemd_fds(); !sd.empty()) {
        if (reuseport_ && static_cast<int>(sd.size()) < n_) {
            lg().warn("cluster: systemd passed {} socket(s) for {} workers; using balance = shared",
                      sd.size(), n_);
            reuseport_ = false;
        }
        if (!reuseport_) {
            for (std::size_t i = 1; i < sd.size(); ++i) ::close(sd[i]);
            sd.erase(sd.begin() + 1, sd.end());   // (resize(1) trips a false -Warray-bounds at -O3)
        } else {
            for (std::size_t i = static_cast<std::size_t>(n_); i < sd.size(); ++i) ::close(sd[i]);
            sd.resize(static_cast<std::size_t>(n_));
        }
        for (int fd : sd) set_cloexec_nonblock(fd);
        fds_ = std::move(sd);
        bound_address(fds_[0], host_, port_);
        lg().info("cluster: using {} socket(s) from systemd", fds_.size());
    } else {
        port_ = cfg_.server.port;
        fds_ = bind_listeners(cfg_.server.host, port_, cfg_.server.backlog, reuseport_ ? n_ : 1,
                              reuseport_ || reopen_);
        host_ = cfg_.server.host;
    }

    auto& st = state();
    st.table_size = static_cast<std::size_t>(2 * n_ + 2);
    void* mem = ::mmap(nullptr, sizeof(shared_slot) * st.table_size, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) throw std::system_error(errno, std::system_category(), "cluster: mmap");
    st.table = new (mem) shared_slot[st.table_size];
    slots_.resize(static_cast<std::size_t>(n_));
}

void master::start() {
    lg().info("Server running at http://{}:{}/", show_host(host_), port_);
    lg().info("cluster: master pid {}, {} worker(s), balance = {}", self_, n_,
              reuseport_ ? "reuseport" : rr_ ? "round_robin" : "shared");
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    signals_.add(SIGUSR1);
    wait_signals();
    // The workers' recent-accept counts decay, so the fairness rule compares rates: a
    // worker that just started is level with the others within a second.
    if (!reuseport_ && !rr_) {
        decay_ = nodus::set_interval(std::chrono::milliseconds(100), [] {
            auto& st = state();
            for (std::size_t i = 0; i < st.table_size; ++i)
                st.table[i].recent.store(st.table[i].recent.load(std::memory_order_relaxed) / 2,
                                         std::memory_order_relaxed);
        });
    }
    for (int i = 0; i < n_; ++i) spawn(i, false);
    open_accept();
    auto self = shared_from_this();
    for (auto& fn : state().on_master_start) {
        nodus::next_tick([self, fn] {
            if (self->alive()) fn();
        });
    }
}

void master::finish() {
    lg().info("cluster: master exiting with code {}", exit_code_);
    close_accept(true);
    for (int fd : fds_) ::close(fd);
    nodus::log::shutdown();
    std::exit(exit_code_);
}

int master::alloc_table_index(pid_t pid) {
    auto& st = state();
    for (std::size_t i = 0; i < st.table_size; ++i) {
        if (st.table[i].state.load() == slot_free) {
            st.table[i].connections.store(0);
            st.table[i].pid.store(pid);
            st.table[i].state.store(slot_starting);
            return static_cast<int>(i);
        }
    }
    return -1;
}

void master::free_table_index(int i) noexcept {
    if (i < 0) return;
    auto& e = state().table[i];
    e.state.store(slot_free);
    e.connections.store(0);
    e.pid.store(0);
}

void master::set_table_state(const instance_ptr& w, std::uint32_t s) noexcept {
    if (w->table_index >= 0) state().table[w->table_index].state.store(s);
}

instance_ptr master::spawn(int slot, bool replacement) {
    auto [parent_fd, child_fd] = ipc::make_socket_pair();
    int index = alloc_table_index(0);
    pid_t pid;
    try {
        pid = fork_with_loop(cfg_.log, "master");
    } catch (const std::system_error& e) {
        ::close(parent_fd);
        ::close(child_fd);
        free_table_index(index);
        lg().error("cluster: cannot start worker {}: {}", slot + 1, e.what());
        if (!replacement) schedule_restart(slot);
        return nullptr;
    }
    if (pid == 0) {
        ::close(parent_fd);
        become_worker(slot, index, child_fd);
    }
    ::close(child_fd);
    if (index >= 0) state().table[index].pid.store(pid);

    auto w = std::make_shared<instance>();
    w->slot = slot;
    w->pid = pid;
    w->table_index = index;
    w->generation = generation_;
    w->replacement = replacement;
    w->started = clock::now();
    w->chan = ipc::channel(parent_fd);
    w->timer = std::make_unique<asio::steady_timer>(nodus::io_context());
    instances_[pid] = w;
    if (!replacement) slots_[static_cast<std::size_t>(slot)].current = w;

    auto self = shared_from_this();
    std::weak_ptr<instance> weak = w;
    w->chan.on_control([self, weak](std::string_view msg) {
        if (auto w2 = weak.lock(); w2 && self->alive()) self->on_control(w2, msg);
    });
    w->chan.on_message([self, weak](std::string_view msg) {
        auto w2 = weak.lock();
        if (!w2 || !self->alive()) return;
        for (auto& fn : state().on_master_message) fn(w2->slot + 1, msg);
    });
    watch_child(pid, [self, w](int status) {
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
    lg().info("cluster: started worker {} (pid {}){}", slot + 1, pid, replacement ? " as a replacement" : "");
    return w;
}

void master::become_worker(int slot, int table_index, int ipc_fd) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    // The master may have died between fork() and prctl(): then no signal would come.
    if (::getppid() != self_) ::_exit(1);
    teardown_in_child(rr_ ? -1 : reuseport_ ? fds_[static_cast<std::size_t>(slot)] : fds_[0]);
    auto& st = state();
    st.r = role::worker;
    st.worker_id = slot + 1;
    st.table_index = table_index;
    st.ipc_fd_for_worker = ipc_fd;
    st.on_master_message.clear();
    st.on_master_start.clear();
    nodus::log::init(cfg_.log, "worker " + std::to_string(slot + 1));
    worker_setup setup;
    setup.id = slot + 1;
    setup.listen_fd = rr_ ? -1 : reuseport_ ? fds_[static_cast<std::size_t>(slot)] : fds_[0];
    st.listen_fd = setup.listen_fd;
    setup.ipc_fd = ipc_fd;
    setup.port = port_;
    setup.http = cfg_.http;
    setup.round_robin = rr_;
    // NODUS_TEST_NO_FAIR_ACCEPT: measure plain sharing (docs/cluster.md), test only.
    setup.fair_accept = !reuseport_ && !rr_ && !std::getenv("NODUS_TEST_NO_FAIR_ACCEPT");
    throw became_worker{setup};
}

void master::teardown_in_child(int keep_fd) noexcept {
    dead_ = true;
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    signals_.clear(ignored);   // back to the default actions
    stop_timer_.cancel();
    decay_.cancel();
    // Connections the master holds must not stay open in a worker as well: the client
    // would see no end of them when their real owner closes its copy.
    close_accept(true);
    for (auto& [pid, w] : instances_) {
        w->chan.close();   // with any descriptors queued on it
        w->timer->cancel();
    }
    instances_.clear();
    for (auto& s : slots_) {
        if (s.restart_timer) s.restart_timer->cancel();
        s.current.reset();
    }
    reload_new_.reset();
    for (int fd : fds_)
        if (fd != keep_fd) ::close(fd);
}

void master::on_control(const instance_ptr& w, std::string_view msg) {
    if (msg.empty()) {
        lg().error("cluster: empty control message from worker {}", w->slot + 1);
        return;
    }
    switch (static_cast<control>(msg[0])) {
    case control::online:
        lg().debug("cluster: worker {} (pid {}) is online", w->slot + 1, w->pid);
        break;
    case control::listening:
        on_ready(w);
        if (rr_) dispatch_queued();
        break;
    case control::stats:
        if (msg.size() != 17) {
            lg().error("cluster: malformed stats message from worker {}", w->slot + 1);
            break;
        }
        w->connections = read_u64(msg, 1);
        w->requests = read_u64(msg, 9);
        break;
    default:
        lg().error("cluster: unknown control message {} from worker {}", int(msg[0]), w->slot + 1);
    }
}

void master::on_ready(const instance_ptr& w) {
    if (w->ph != phase::starting) return;
    w->ph = phase::ready;
    w->timer->cancel();
    if (w->table_index >= 0) {
        // Only from starting: a worker that began to stop on its own already left the
        // round robin (it marks its row itself).
        std::uint32_t expected = slot_starting;
        state().table[w->table_index].state.compare_exchange_strong(expected, slot_accepting);
    }
    lg().info("cluster: worker {} (pid {}) is listening", w->slot + 1, w->pid);
    if (stopping_) {
        retire(w, control::shutdown);
        return;
    }
    auto& s = slots_[static_cast<std::size_t>(w->slot)];
    if (w->replacement) {
        w->replacement = false;
        auto old = s.current;
        s.current = w;
        if (reload_new_ == w) reload_new_.reset();
        if (old && old != w && old->ph != phase::retiring) retire(old, control::retire);
        reload_step();
        return;
    }
    if (starting_ && ++ready_at_start_ == static_cast<std::size_t>(n_)) {
        starting_ = false;
        lg().info("cluster: all {} workers are listening", n_);
    }
    if (reloading_) reload_step();
}

void master::retire(const instance_ptr& w, control why) {
    if (w->ph == phase::retiring && why != control::shutdown) return;
    w->ph = phase::retiring;
    set_table_state(w, slot_retiring);
    if (!w->chan.send(ipc::ns::control, control_message(why))) ::kill(w->pid, SIGTERM);
    if (why == control::retire) {
        // A stop has its own deadline for everyone (stop_timer_).
        auto self = shared_from_this();
        std::weak_ptr<instance> weak = w;
        w->timer->expires_after(milliseconds(cfg_.cluster.shutdown_timeout_ms));
        w->timer->async_wait([self, weak](const boost::system::error_code& ec) {
            auto w2 = weak.lock();
            if (ec || !w2 || !self->alive() || !self->instances_.count(w2->pid)) return;
            lg().warn("cluster: retired worker {} (pid {}) still running after {} ms; killing it",
                      w2->slot + 1, w2->pid, self->cfg_.cluster.shutdown_timeout_ms);
            ::kill(w2->pid, SIGKILL);
        });
    }
}

void master::on_exit(const instance_ptr& w, int status) {
    free_table_index(w->table_index);
    w->table_index = -1;
    w->timer->cancel();
    w->chan.close();
    instances_.erase(w->pid);
    auto& s = slots_[static_cast<std::size_t>(w->slot)];
    if (s.current == w) s.current.reset();
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const auto what = describe_status(status);

    if (stopping_) {
        lg().info("cluster: worker {} (pid {}) {}", w->slot + 1, w->pid, what);
        if (instances_.empty()) {
            exit_now_ = true;
            nodus::io_context().stop();
        }
        return;
    }
    if (w->ph == phase::retiring) {
        lg().info("cluster: retired worker {} (pid {}) {}", w->slot + 1, w->pid, what);
        if (reopen_waiting_ && instances_.empty()) reopen_listeners();
        return;
    }
    if (w->replacement) {
        reload_failed(w, "it " + what + " before it was listening");
        return;
    }
    if (starting_ && w->ph == phase::starting) {
        lg().critical("cluster: worker {} (pid {}) {} before it was ready at startup; giving up",
                      w->slot + 1, w->pid, w->timed_out ? "was not listening in time" : what);
        stop(1, "a worker failed at startup");
        return;
    }
    lg().error("cluster: worker {} (pid {}) {}{}", w->slot + 1, w->pid, what,
               clean ? " unexpectedly" : "");
    on_crash(w);
}

void master::on_crash(const instance_ptr& w) {
    auto now = clock::now();
    auto& s = slots_[static_cast<std::size_t>(w->slot)];
    if (now - w->started >= std::chrono::seconds(60)) s.consecutive = 0;
    crashes_.push_back(now);
    while (!crashes_.empty() && now - crashes_.front() > std::chrono::seconds(cfg_.cluster.crash_window_s))
        crashes_.pop_front();
    if (crashes_.size() > cfg_.cluster.crash_limit) {
        lg().critical("cluster: crash loop: {} worker crashes within {} s (limit {}); stopping",
                      crashes_.size(), cfg_.cluster.crash_window_s, cfg_.cluster.crash_limit);
        stop(1, "crash loop");
        return;
    }
    // The slot's replacement from a running reload takes its place instead.
    if (reload_new_ && reload_new_->slot == w->slot) return;
    schedule_restart(w->slot);
}

void master::schedule_restart(int slot) {
    auto& s = slots_[static_cast<std::size_t>(slot)];
    if (s.restart_pending || stopping_) return;
    ++s.restarts;
    unsigned k = s.consecutive++;
    if (k == 0) {
        spawn(slot, false);
        return;
    }
    double base = std::min(30000.0, 100.0 * double(1u << std::min(k - 1, 16u)));
    std::uniform_real_distribution<double> jitter{0.5, 1.5};
    auto delay = milliseconds(static_cast<long>(base * jitter(rng_)));
    lg().warn("cluster: restarting worker {} in {} ms", slot + 1, delay.count());
    if (!s.restart_timer) s.restart_timer = std::make_unique<asio::steady_timer>(nodus::io_context());
    s.restart_pending = true;
    s.restart_timer->expires_after(delay);
    auto self = shared_from_this();
    s.restart_timer->async_wait([self, slot](const boost::system::error_code& ec) {
        if (!self->alive()) return;
        auto& s2 = self->slots_[static_cast<std::size_t>(slot)];
        s2.restart_pending = false;
        if (ec || self->stopping_) return;
        self->spawn(slot, false);
    });
}

void master::stop(int code, const std::string& why) {
    if (stopping_) return;
    stopping_ = true;
    exit_code_ = code;
    reloading_ = false;
    // Every worker is about to drain: take no more connections. The socket stays open
    // until the master exits, as with the other balance modes.
    close_accept(true);
    lg().info("cluster: stopping ({}): draining {} worker(s), deadline {} ms", why, instances_.size(),
              cfg_.cluster.shutdown_timeout_ms);
    for (auto& s : slots_)
        if (s.restart_timer) s.restart_timer->cancel();
    for (auto& [pid, w] : instances_) retire(w, control::shutdown);
    if (instances_.empty()) {
        exit_now_ = true;
        nodus::io_context().stop();
        return;
    }
    auto self = shared_from_this();
    stop_timer_.expires_after(milliseconds(cfg_.cluster.shutdown_timeout_ms));
    stop_timer_.async_wait([self](const boost::system::error_code& ec) {
        if (ec || !self->alive()) return;
        for (auto& [pid, w] : self->instances_) {
            lg().warn("cluster: worker {} (pid {}) did not stop within {} ms; killing it", w->slot + 1,
                      pid, self->cfg_.cluster.shutdown_timeout_ms);
            ::kill(pid, SIGKILL);
        }
    });
}

void master::stop_now(int signo) {
    lg().warn("cluster: second {} while stopping: killing {} worker(s) now", ::sigabbrev_np(signo),
              instances_.size());
    close_accept(true);
    for (auto& [pid, w] : instances_) ::kill(pid, SIGKILL);
    reap_all_blocking();
    instances_.clear();
    exit_code_ = 1;
    exit_now_ = true;
    nodus::io_context().stop();
}

void master::reload() {
    // Re-read the configuration the way the process first read it: same argv, same
    // environment, the file it actually used.
    config next;
    try {
        auto args = own_argv();
        std::vector<const char*> argv;
        for (auto& a : args) argv.push_back(a.c_str());
        argv.push_back(nullptr);
        auto r = nodus::parse_config(static_cast<int>(args.size()), argv.data(), nullptr, cfg_.file);
        next = std::move(r.cfg);
        validate(next);
    } catch (const std::exception& e) {
        lg().error("cluster: reload: the new configuration is invalid, keeping the current one: {}", e.what());
        return;
    }
    auto keep = [&](bool changed, const char* what) {
        if (changed) lg().warn("cluster: reload: {} changed; it takes a restart, keeping the current value", what);
    };
    keep(next.server.host != cfg_.server.host || next.server.port != cfg_.server.port ||
             next.server.backlog != cfg_.server.backlog,
         "[server] host/port/backlog");
    keep(next.cluster.workers != cfg_.cluster.workers, "[cluster] workers");
    keep(next.cluster.balance != cfg_.cluster.balance, "[cluster] balance");
    next.server = cfg_.server;
    next.cluster.workers = cfg_.cluster.workers;
    next.cluster.balance = cfg_.cluster.balance;
    cfg_ = std::move(next);
    nodus::log::init(cfg_.log, "master");

    ++generation_;
    if (reopen_) {
        if (reopen_waiting_) return;
        lg().info("cluster: reload (generation {}): closing the listener and restarting every worker",
                  generation_);
        reopen_waiting_ = true;
        close_accept(false);
        for (int fd : fds_) ::close(fd);
        fds_.clear();
        for (auto& [pid, w] : instances_) retire(w, control::retire);
        if (instances_.empty()) reopen_listeners();
        return;
    }
    if (reloading_) {
        lg().info("cluster: reload requested during a reload: every worker will be of generation {}",
                  generation_);
        return;
    }
    lg().info("cluster: reload (generation {}): replacing {} worker(s) one by one", generation_, n_);
    reloading_ = true;
    reload_step();
}

void master::reload_step() {
    if (!reloading_ || stopping_) return;
    if (reload_new_) return;   // a replacement is still starting
    bool waiting = false;
    for (int i = 0; i < n_; ++i) {
        auto& s = slots_[static_cast<std::size_t>(i)];
        if (!s.current || s.current->generation >= generation_) continue;
        if (s.current->ph != phase::ready) {
            waiting = true;   // an older worker still starting: replace it once it listens
            continue;
        }
        reload_new_ = spawn(i, true);
        if (!reload_new_) {
            reloading_ = false;
            lg().error("cluster: reload aborted: cannot fork a replacement for worker {}", i + 1);
        }
        return;
    }
    if (waiting) return;
    reloading_ = false;
    lg().info("cluster: reload complete: {} worker(s) of generation {}", n_, generation_);
}

void master::reload_failed(const instance_ptr& w, const std::string& why) {
    lg().error("cluster: reload aborted: the new worker {} (pid {}) {}; keeping the running workers",
               w->slot + 1, w->pid, why);
    if (reload_new_ == w) reload_new_.reset();
    reloading_ = false;
    // Its slot may have lost its old worker meanwhile.
    auto& s = slots_[static_cast<std::size_t>(w->slot)];
    if (!s.current && !s.restart_pending && !stopping_) schedule_restart(w->slot);
}

void master::reopen_listeners() {
    reopen_waiting_ = false;
    try {
        port_ = cfg_.server.port == 0 ? port_ : cfg_.server.port;
        fds_ = bind_listeners(cfg_.server.host, port_, cfg_.server.backlog, reuseport_ ? n_ : 1, true);
    } catch (const std::system_error& e) {
        lg().critical("cluster: reload: {}", e.what());
        stop(1, "cannot re-bind");
        return;
    }
    for (int i = 0; i < n_; ++i) spawn(i, false);
    open_accept();
}

// ------------------------------------------------------------------ balance = round_robin
//
// The master accepts on the listening socket and passes each connection, its descriptor
// attached to a control message (SCM_RIGHTS), to the next worker that is accepting, as
// Node's cluster does by default. A connection no worker can take now (all starting or
// restarting, or too far behind in reading their channels) waits in a queue as long as
// the listen backlog; once that is full the master stops accepting, so further ones wait
// in the kernel's backlog instead of being closed.

void master::open_accept() {
    if (!rr_ || fds_.empty() || accept_watch_ || stopping_) return;
    accept_watch_ = std::make_unique<asio::posix::stream_descriptor>(nodus::io_context(), fds_[0]);
    on_acceptable();
}

void master::close_accept(bool drop_queued) noexcept {
    if (accept_watch_) {
        // The master keeps the socket itself (fds_): only stop watching it.
        accept_watch_->release();
        accept_watch_.reset();
    }
    accept_armed_ = false;
    accept_paused_ = false;
    accept_backoff_ = false;
    accept_retry_.cancel();
    if (drop_queued) {
        for (int fd : queued_) ::close(fd);
        queued_.clear();
        dispatch_pending_ = false;
        dispatch_retry_.cancel();
    }
}

void master::arm_accept() {
    if (!accept_watch_ || accept_armed_ || stopping_) return;
    accept_armed_ = true;
    auto self = shared_from_this();
    accept_watch_->async_wait(asio::posix::descriptor_base::wait_read,
                              [self](const boost::system::error_code& ec) {
                                  // Aborted: the watch was closed (and perhaps opened again).
                                  if (ec == asio::error::operation_aborted || !self->alive()) return;
                                  self->accept_armed_ = false;
                                  if (ec) {
                                      lg().error("cluster: waiting for connections failed: {}", ec.message());
                                      self->back_off_accept();
                                      return;
                                  }
                                  self->on_acceptable();
                              });
}

void master::on_acceptable() {
    if (!accept_watch_ || stopping_ || accept_armed_ || accept_paused_ || accept_backoff_) return;
    for (int i = 0; i < accept_batch; ++i) {
        if (queued_.size() >= queue_limit_) {
            accept_paused_ = true;   // dispatch_queued resumes once there is room
            return;
        }
        int fd = ::accept4(fds_[0], nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK) {
                // Drained: the socket is registered edge-triggered, so only now may a
                // readiness wait be armed.
                arm_accept();
                return;
            }
            if (connection_error(err)) continue;
            lg().warn("cluster: accept failed: {}", std::strerror(err));
            back_off_accept();
            return;
        }
        queued_.push_back(fd);
        dispatch_queued();
    }
    // More may be waiting: go on after whatever else the loop has to do.
    auto self = shared_from_this();
    asio::post(nodus::io_context(), [self] {
        if (self->alive()) self->on_acceptable();
    });
}

// Out of descriptors or memory: try again in a while instead of spinning on the error.
void master::back_off_accept() {
    if (accept_backoff_ || stopping_) return;
    accept_backoff_ = true;
    auto self = shared_from_this();
    accept_retry_.expires_after(milliseconds(100));
    accept_retry_.async_wait([self](const boost::system::error_code& ec) {
        if (ec || !self->alive() || !self->accept_backoff_) return;
        self->accept_backoff_ = false;
        self->on_acceptable();
    });
}

void master::dispatch_queued() {
    while (!queued_.empty() && pass_to_worker(queued_.front())) {
        ::close(queued_.front());   // the worker has it now
        queued_.pop_front();
    }
    // A worker reporting listening empties the queue at once; one catching up with its
    // channel says nothing, so look again shortly.
    if (!queued_.empty() && !dispatch_pending_ && !stopping_) {
        dispatch_pending_ = true;
        auto self = shared_from_this();
        dispatch_retry_.expires_after(milliseconds(20));
        dispatch_retry_.async_wait([self](const boost::system::error_code& ec) {
            if (ec || !self->alive() || !self->dispatch_pending_) return;
            self->dispatch_pending_ = false;
            self->dispatch_queued();
        });
    }
    if (accept_paused_ && queued_.size() < queue_limit_) {
        accept_paused_ = false;
        on_acceptable();
    }
}

bool master::pass_to_worker(int fd) {
    static const std::string msg = control_message(control::connection);
    auto& st = state();
    const std::size_t n = slots_.size();
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t k = (next_slot_ + i) % n;
        const auto& w = slots_[k].current;
        // Accepting: reported listening, and neither retired by the master nor stopping
        // on its own (the shared table says so).
        if (!w || w->ph != phase::ready || w->table_index < 0 ||
            st.table[w->table_index].state.load(std::memory_order_relaxed) != slot_accepting)
            continue;
        // A worker whose channel is full has a few hundred connections it has not even
        // read: more would only wait there (a stuck worker would collect them forever).
        if (w->chan.queued() > 0) continue;
        // False when its channel is closed (the worker died): try the next one.
        if (w->chan.send_fd(ipc::ns::control, msg, fd)) {
            next_slot_ = (k + 1) % n;
            return true;
        }
    }
    return false;
}

void master::log_table() {
    auto now = clock::now();
    auto& st = state();
    lg().info("cluster: {} worker process(es), generation {}{}", instances_.size(), generation_,
              reloading_ ? ", reloading" : stopping_ ? ", stopping" : "");
    lg().info("  {:>3} {:>8} {:>9} {:>10} {:>8} {:>11} {:>12}", "id", "pid", "state", "uptime_s", "restarts",
              "connections", "requests");
    for (auto& [pid, w] : instances_) {
        std::size_t conns = w->table_index >= 0 ? st.table[w->table_index].connections.load() : 0;
        const char* ph = w->ph == phase::starting ? "starting" : w->ph == phase::ready ? "ready" : "retiring";
        double up = std::chrono::duration<double>(now - w->started).count();
        lg().info("  {:>3} {:>8} {:>9} {:>10.1f} {:>8} {:>11} {:>12}", w->slot + 1, pid, ph, up,
                  slots_[static_cast<std::size_t>(w->slot)].restarts, conns, w->requests);
    }
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
        if (stopping_)
            stop_now(signo);
        else
            stop(0, std::string{"SIG"} + ::sigabbrev_np(signo));
        break;
    case SIGHUP:
        if (!stopping_) reload();
        break;
    case SIGUSR1:
        log_table();
        break;
    default:
        break;
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

std::vector<worker_info> master::list() const {
    std::vector<worker_info> out;
    auto now = clock::now();
    auto& st = state();
    for (auto& [pid, w] : instances_) {
        worker_info i;
        i.id = w->slot + 1;
        i.pid = pid;
        i.ready = w->ph == phase::ready;
        i.retiring = w->ph == phase::retiring;
        i.uptime = std::chrono::duration_cast<milliseconds>(now - w->started);
        i.restarts = slots_[static_cast<std::size_t>(w->slot)].restarts;
        i.connections = w->table_index >= 0 ? st.table[w->table_index].connections.load() : 0;
        i.requests = w->requests;
        out.push_back(i);
    }
    return out;
}

} // namespace

worker_setup run_master(const config& cfg) {
    auto m = std::make_shared<master>(cfg);
    m->bind();   // throws before anything forked
    the_master() = m;
    state().r = role::master;
    nodus::log::init(cfg.log, "master");
    auto& io = nodus::io_context();
    try {
        m->start();
        while (!m->exit_now()) {
            io.restart();
            io.run();
        }
    } catch (became_worker& w) {
        return w.setup;
    }
    m->finish();
}

bool master_send(int id, std::string_view msg) {
    auto& m = the_master();
    return m && m->send_to(id, msg);
}

std::size_t master_broadcast(std::string_view msg) {
    auto& m = the_master();
    return m ? m->broadcast(msg) : 0;
}

std::vector<worker_info> master_workers() {
    auto& m = the_master();
    return m ? m->list() : std::vector<worker_info>{};
}

} // namespace nodus::cluster::detail
