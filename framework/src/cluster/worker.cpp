// The worker's side of the cluster: its channel to the master, stats, graceful stop,
// the fair-accept rule, and with balance = round_robin the connections the master passes.
#include "cluster/detail/state.hpp"
#include "ipc/detail/control.hpp"
#include "net/detail/unique_fd.hpp"

#include <nodus/ipc/channel.hpp>
#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <limits>
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
    nodus::signal_handle term, intr;
    bool closing = false;
    std::chrono::steady_clock::time_point delayed_since{};
};

worker_state& ws() {
    static auto* w = new worker_state;
    return *w;
}

std::string control_message(control c) { return std::string(1, static_cast<char>(c)); }

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
    if (w.hooks.adopt) {
        // The master passes connections only to workers the shared table shows accepting:
        // leave the rotation now, also when the stop began here (a signal sent to this
        // worker) rather than in the master. One passed a moment earlier is still served.
        auto& st = state();
        if (st.table && st.table_index >= 0) st.table[st.table_index].state.store(slot_retiring);
    }
    w.stats.cancel();
    send_stats();
    auto done = [] {
        auto& w2 = ws();
        send_stats();
        stop_watching_signals();
        // Closing the channel is the last thing holding the loop: the process
        // ends once the server's own work is done.
        w2.chan.close();
    };
    if (w.hooks.stop)
        w.hooks.stop(done);
    else
        done();
}

void ignore_if_default(int signo) {
    struct sigaction sa{};
    if (::sigaction(signo, nullptr, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        ::sigaction(signo, &sa, nullptr);
    }
}

} // namespace

void worker_serve(worker_hooks hooks) {
    auto& st = state();
    auto& w = ws();
    w.hooks = std::move(hooks);
    w.chan = ipc::channel(st.ipc_fd_for_worker);
    ipc::detail::on_control(w.chan, [](std::string_view msg) {
        if (msg.empty()) {
            nodus::log::get().error("cluster: empty control message from the master");
            return;
        }
        switch (static_cast<control>(msg[0])) {
        case control::shutdown:
            begin_close("the master asked");
            break;
        case control::retire:
            begin_close("replaced by a reload");
            break;
        default:
            nodus::log::get().error("cluster: unknown control message {} from the master", int(msg[0]));
        }
    });
    ipc::detail::on_control_fd(w.chan, [](std::string_view msg, int fd) {
        nodus::detail::unique_fd owned{fd};
        auto& w2 = ws();
        if (!msg.empty() && static_cast<control>(msg[0]) == control::connection && w2.hooks.adopt) {
            w2.hooks.adopt(owned.release());
            return;
        }
        nodus::log::get().error("cluster: closed an unexpected descriptor from the master (control message {})",
                                msg.empty() ? -1 : int(msg[0]));
    });
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
    // Meant for the master: a stray one must not kill a worker.
    ignore_if_default(SIGHUP);
    ignore_if_default(SIGUSR1);

    // "listening" only once the loop runs: a worker that fails right after listen()
    // returns never claims to be ready.
    nodus::next_tick([] {
        auto& w2 = ws();
        if (w2.closing) return;
        ipc::detail::send_control(w2.chan, control_message(control::listening));
        w2.stats = nodus::set_interval(std::chrono::milliseconds(1000), [] { send_stats(); });
    });
}

void worker_note_count(std::size_t open) noexcept {
    auto& st = state();
    if (!st.table || st.table_index < 0) return;
    auto& slot = st.table[st.table_index];
    auto before = slot.connections.exchange(static_cast<std::uint32_t>(open), std::memory_order_relaxed);
    if (open > before) slot.recent.fetch_add(1, std::memory_order_relaxed);
}

unsigned worker_accept_delay() noexcept {
    auto& st = state();
    if (!st.table || st.table_index < 0) return 0;
    auto& w = ws();
    // Two signs of more than a fair share: clearly more open connections than the
    // least-loaded peer (long-lived connections), or clearly more recent accepts
    // (short-lived ones, which the open counts hardly show).
    auto& me = st.table[st.table_index];
    std::uint32_t mine = me.connections.load(std::memory_order_relaxed);
    std::uint32_t mine_recent = me.recent.load(std::memory_order_relaxed);
    constexpr auto none = std::numeric_limits<std::uint32_t>::max();
    std::uint32_t least = none, least_recent = none;
    for (std::size_t i = 0; i < st.table_size; ++i) {
        if (static_cast<int>(i) == st.table_index) continue;
        if (st.table[i].state.load(std::memory_order_relaxed) != slot_accepting) continue;
        least = std::min(least, st.table[i].connections.load(std::memory_order_relaxed));
        least_recent = std::min(least_recent, st.table[i].recent.load(std::memory_order_relaxed));
    }
    bool over = least != none && (mine > least + std::max(2u, least / 8) ||
                                  mine_recent > least_recent + std::max(4u, least_recent / 4));
    if (!over) {
        w.delayed_since = {};
        return 0;
    }
    // No check of the accept queue here: in a burst that arrives one connection at a time
    // the queue is empty at most decisions, and the worker that happens to run first would
    // take them all. Waiting costs nothing when nothing waits, and a peer that is not
    // over its share takes what arrives meanwhile.
    auto now = std::chrono::steady_clock::now();
    if (w.delayed_since == std::chrono::steady_clock::time_point{}) w.delayed_since = now;
    // A peer that is busy (or stuck) must not stop us from accepting for long.
    if (now - w.delayed_since < std::chrono::milliseconds(50)) return 200;   // µs
    w.delayed_since = {};
    return 0;
}

bool worker_send(std::string_view msg) {
    auto& w = ws();
    return w.chan.send(msg);
}

} // namespace nodus::cluster::detail
