// nodus::on_signal: one asio::signal_set per signal number, shared by its subscriptions.
#include <nodus/loop/loop.hpp>

#include "loop/detail/loop_ref.hpp"

#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

namespace nodus {

namespace asio = boost::asio;

namespace {

struct signal_subscription {
    std::uint64_t id;
    std::function<void(int)> fn;
    bool keeps_loop = true;
};

struct signal_watch {
    std::unique_ptr<asio::signal_set> set;
    std::vector<signal_subscription> subs;
    bool wait_uncounted = false; // the pending wait was taken out of the loop's work

    // The one pending wait keeps the loop alive while any subscription is referenced.
    void update_count() noexcept {
        bool keep = std::any_of(subs.begin(), subs.end(), [](auto& s) { return s.keeps_loop; });
        if (keep == !wait_uncounted) return;
        wait_uncounted = !keep;
        if (keep) detail::count_pending_wait();
        else detail::uncount_pending_wait();
    }
};

std::map<int, signal_watch>& watches() {
    static std::map<int, signal_watch> w;
    return w;
}
std::uint64_t next_signal_id_ = 1;

struct found {
    signal_watch* watch = nullptr;
    signal_subscription* sub = nullptr;
};

found find_subscription(std::uint64_t id) {
    if (id)
        for (auto& [signo, w] : watches())
            for (auto& s : w.subs)
                if (s.id == id) return {&w, &s};
    return {};
}

void set_keeps_loop(std::uint64_t id, bool keep) noexcept {
    auto f = find_subscription(id);
    if (!f.sub || f.sub->keeps_loop == keep) return;
    f.sub->keeps_loop = keep;
    f.watch->update_count();
}

void arm_signal(int signo) {
    auto it = watches().find(signo);
    if (it == watches().end()) return;
    it->second.set->async_wait([signo](const boost::system::error_code& ec, int) {
        if (ec) return;
        auto it = watches().find(signo);
        if (it == watches().end()) return;
        // Completing takes one off the loop's work: give back what unref() took first.
        if (it->second.wait_uncounted) {
            it->second.wait_uncounted = false;
            detail::count_pending_wait();
        }
        auto subs = it->second.subs; // a callback may cancel subscriptions
        for (auto& s : subs) s.fn(signo);
        arm_signal(signo);
    });
    it->second.update_count();
}

} // namespace

signal_handle on_signal(int signo, std::function<void(int)> fn) {
    auto& w = watches()[signo];
    auto id = next_signal_id_++;
    w.subs.push_back({id, std::move(fn)});
    if (!w.set) {
        w.set = std::make_unique<asio::signal_set>(io_context(), signo);
        arm_signal(signo);
    } else {
        w.update_count();
    }
    return signal_handle{id};
}

void signal_handle::cancel() noexcept {
    if (!id_) return;
    for (auto it = watches().begin(); it != watches().end(); ++it) {
        auto& w = it->second;
        auto s = std::find_if(w.subs.begin(), w.subs.end(), [this](auto& sub) { return sub.id == id_; });
        if (s == w.subs.end()) continue;
        w.subs.erase(s);
        id_ = 0;
        if (!w.subs.empty()) {
            w.update_count();
            return;
        }
        // The last subscriber gone: destroying the set removes the signal and completes
        // its pending wait with operation_aborted, which the handler ignores; that
        // completion takes one off the loop's work, so an uncounted wait is counted again.
        if (w.wait_uncounted) detail::count_pending_wait();
        watches().erase(it);
        return;
    }
    id_ = 0;
}

bool signal_handle::active() const noexcept { return find_subscription(id_).sub != nullptr; }

void signal_handle::unref() noexcept { set_keeps_loop(id_, false); }
void signal_handle::ref() noexcept { set_keeps_loop(id_, true); }
bool signal_handle::has_ref() const noexcept {
    auto f = find_subscription(id_);
    return f.sub && f.sub->keeps_loop;
}

} // namespace nodus
