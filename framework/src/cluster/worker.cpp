// The worker's side of the cluster: its channel to the master, stats (which are its
// heartbeat), graceful stop, and with balance = round_robin the connections the master
// passes. The fair-accept rule has its own file (fair_accept.cpp).
#include "cluster/detail/fair_accept.hpp"
#include "cluster/detail/state.hpp"
#include "ipc/detail/control.hpp"
#include "loop/detail/stopping.hpp"
#include "net/detail/unique_fd.hpp"

#include <nodus/ipc/channel.hpp>
#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nodus::cluster::detail {

namespace {

struct worker_state {
    ipc::channel chan;
    worker_hooks hooks;
    nodus::timer stats;
    nodus::signal_handle term, intr, usr1;
    bool closing = false;
    int ready_sent = -1; // the readiness last told to the master; -1: none yet
    std::uint32_t taken = 0; // connections taken from the channel (balance = round_robin)
};

worker_state& ws() {
    static auto* w = new worker_state;
    return *w;
}

std::string control_message(control c) { return std::string(1, static_cast<char>(c)); }

// The application's readiness, told to the master when it changes (checked with the stats).
void send_readiness() {
    auto& w = ws();
    if (!w.hooks.ready || !w.chan.is_open()) return;
    bool ready = false;
    try {
        ready = w.hooks.ready();
    } catch (...) {
        ready = false; // a check that throws says "not ready"
    }
    if (static_cast<int>(ready) == w.ready_sent) return;
    std::string m = control_message(control::readiness);
    m.push_back(ready ? 1 : 0);
    if (ipc::detail::send_control(w.chan, m)) w.ready_sent = ready;
}

// A scrape of the master: this worker's metrics, in parts that fit a message.
void send_metrics(std::string_view request) {
    auto& w = ws();
    if (request.size() != 5 || !w.chan.is_open()) return;
    std::string bytes;
    try {
        if (w.hooks.metrics) bytes = w.hooks.metrics();
    } catch (const std::exception& e) {
        // No answer: the master's scrape leaves this worker out when it times out.
        nodus::log::get().error("cluster: cannot collect this worker's metrics: {}", e.what());
        return;
    }
    constexpr std::size_t part = 60000;
    std::size_t at = 0;
    do {
        std::size_t n = std::min(part, bytes.size() - at);
        std::string m = control_message(control::metrics_reply);
        m.append(request.substr(1, 4));
        m.push_back(at + n == bytes.size() ? 1 : 0);
        m.append(bytes, at, n);
        if (!ipc::detail::send_control(w.chan, m)) return;
        at += n;
    } while (at < bytes.size());
}

void send_stats() {
    auto& w = ws();
    if (!w.chan.is_open()) return;
    std::string m = control_message(control::stats);
    auto put = [&m](std::uint64_t v) {
        for (int i = 0; i < 8; ++i) m.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    };
    put(w.hooks.connections ? w.hooks.connections() : 0);
    put(w.hooks.requests ? w.hooks.requests() : 0);
    ipc::detail::send_control(w.chan, m);
    send_readiness();
}

// The drain is over: nothing is in flight any more. Only now may SIGTERM and SIGINT stop
// being watched: cancelling the loop's subscriptions gives them back their default action
// (Asio restores SIG_DFL), and the parent-death SIGTERM, which arrives after the master's
// channel closed, would then kill a worker that still serves. They are ignored from here
// on, and blocked while the disposition changes hands.
void stop_watching_signals() {
    auto& w = ws();
    sigset_t both, old;
    sigemptyset(&both);
    sigaddset(&both, SIGTERM);
    sigaddset(&both, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &both, &old);
    w.term.cancel();
    w.intr.cancel();
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void begin_close(const char* why) {
    auto& w = ws();
    if (w.closing) return;
    w.closing = true;
    nodus::log::get().info("cluster: stopping gracefully ({})", why);
    nodus::detail::begin_stopping();
    // Leave the rotation and the fairness rule's count of accepting peers now, also when
    // the stop began here (a signal, or the master gone) rather than in the master. With
    // round_robin a connection passed a moment earlier is still served.
    auto& st = state();
    if (st.table && st.table_index >= 0) st.table[st.table_index].state.store(slot_retiring);
    w.stats.cancel();
    fair_accept_stop();
    send_stats();
    auto done = [] {
        auto& w2 = ws();
        send_stats();
        stop_watching_signals();
        // Closing the channel is the last thing holding the loop: the process
        // ends once the server's own work is done.
        w2.chan.close();
    };
    if (w.hooks.stop) w.hooks.stop(done);
    else done();
}

// The worker sends its stats at least once a second, and often enough that the master's
// watchdog hears from it about four times per watchdog_ms.
std::chrono::milliseconds heartbeat_period(std::uint32_t watchdog_ms) noexcept {
    constexpr std::uint32_t most = 1000;
    if (watchdog_ms == 0) return std::chrono::milliseconds(most);
    return std::chrono::milliseconds(std::clamp<std::uint32_t>(watchdog_ms / 4, 1, most));
}

void ignore_if_default(int signo) {
    struct sigaction sa {};
    if (::sigaction(signo, nullptr, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        ::sigaction(signo, &sa, nullptr);
    }
}

void on_master_control(std::string_view msg) {
    if (msg.empty()) {
        nodus::log::get().error("cluster: empty control message from the master");
        return;
    }
    switch (static_cast<control>(msg[0])) {
    case control::shutdown: begin_close("the master asked"); break;
    case control::retire: begin_close("replaced by a reload"); break;
    case control::publish: deliver_published(msg.substr(1)); break;
    case control::metrics_request: send_metrics(msg); break;
    default: nodus::log::get().error("cluster: unknown control message {} from the master", int(msg[0]));
    }
}

// balance = round_robin: a connection the master accepted. The count of those taken tells
// the master that this worker still takes what it is given.
void on_master_descriptor(std::string_view msg, int fd) {
    nodus::detail::unique_fd owned{fd};
    auto& w = ws();
    if (!msg.empty() && static_cast<control>(msg[0]) == control::connection && w.hooks.adopt) {
        auto& st = state();
        if (st.table && st.table_index >= 0)
            st.table[st.table_index].taken.store(++w.taken, std::memory_order_relaxed);
        w.hooks.adopt(owned.release());
        return;
    }
    nodus::log::get().error("cluster: closed an unexpected descriptor from the master (control message {})",
                            msg.empty() ? -1 : int(msg[0]));
}

} // namespace

void worker_serve(const worker_setup& setup, worker_hooks hooks) {
    auto& st = state();
    auto& w = ws();
    w.hooks = std::move(hooks);
    w.chan = ipc::channel(st.ipc_fd_for_worker);
    ipc::detail::on_control(w.chan, on_master_control);
    ipc::detail::on_control_fd(w.chan, on_master_descriptor);
    w.chan.on_message([](std::string_view msg) {
        for (auto& fn : state().on_message) fn(msg);
    });
    w.chan.on_close([] {
        auto& w2 = ws();
        if (!w2.closing) {
            nodus::log::get().warn("cluster: the master went away");
            begin_close("master gone");
        }
    });
    ipc::detail::send_control(w.chan, control_message(control::online));

    // SIGTERM comes from PR_SET_PDEATHSIG or an operator; SIGINT from a terminal's Ctrl-C
    // to the whole process group. Both mean: drain and exit, until the drain is done.
    w.term = nodus::on_signal(SIGTERM, [](int) { begin_close("SIGTERM"); });
    w.intr = nodus::on_signal(SIGINT, [](int) { begin_close("SIGINT"); });
    // SIGUSR1 (from the master, or to the whole process group): reopen the log files after
    // logrotate moved them. It does not keep the loop alive.
    w.usr1 = nodus::on_signal(SIGUSR1, [](int) { nodus::log::reopen(); });
    w.usr1.unref();
    // Meant for the master: a stray one must not kill a worker.
    ignore_if_default(SIGHUP);

    if (setup.fair_accept) fair_accept_start();
    // "listening" only once the loop runs: a worker that fails right after listen()
    // returns never claims to be ready.
    nodus::next_tick([beat = heartbeat_period(setup.watchdog_ms)] {
        auto& w2 = ws();
        if (w2.closing) return;
        ipc::detail::send_control(w2.chan, control_message(control::listening));
        w2.stats = nodus::set_interval(beat, [] { send_stats(); });
    });
}

void worker_note_count(std::size_t open) noexcept {
    auto& st = state();
    if (!st.table || st.table_index < 0) return;
    auto& slot = st.table[st.table_index];
    auto before = slot.connections.exchange(static_cast<std::uint32_t>(open), std::memory_order_relaxed);
    if (open > before) slot.recent.fetch_add(1, std::memory_order_relaxed);
}

bool worker_send(std::string_view msg) {
    auto& w = ws();
    return w.chan.send(msg);
}

bool worker_publish(std::string_view payload) { return ipc::detail::send_control(ws().chan, payload); }

} // namespace nodus::cluster::detail
