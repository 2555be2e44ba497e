#include "process/detail/reaper.hpp"

#include <nodus/loop/loop.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <cerrno>
#include <map>
#include <memory>

#include <signal.h>
#include <sys/wait.h>

namespace nodus::detail {

namespace asio = boost::asio;

namespace {

struct reaper {
    std::unique_ptr<asio::signal_set> set;
    std::map<pid_t, std::function<void(int)>> watched;
    bool waiting = false;
    unsigned generation = 0; // bumped in a forked child: stale completions are ignored

    void arm() {
        if (!set) set = std::make_unique<asio::signal_set>(nodus::io_context(), SIGCHLD);
        if (waiting || watched.empty()) return;
        waiting = true;
        set->async_wait([this, g = generation](const boost::system::error_code& ec, int) {
            if (g != generation) return;
            waiting = false;
            if (ec) return;
            poll();
            arm();
        });
    }

    void poll() {
        for (auto it = watched.begin(); it != watched.end();) {
            int status = 0;
            pid_t r = ::waitpid(it->first, &status, WNOHANG);
            if (r == it->first || (r < 0 && errno == ECHILD)) {
                auto fn = std::move(it->second);
                it = watched.erase(it);
                if (r < 0) status = 0;
                asio::post(nodus::io_context(), [fn = std::move(fn), status] { fn(status); });
            } else {
                ++it;
            }
        }
        if (watched.empty() && waiting && set) {
            // Nothing left to reap: stop holding the loop open.
            boost::system::error_code ignored;
            set->cancel(ignored);
        }
    }
};

reaper& the_reaper() {
    static reaper* r = new reaper; // never destroyed: handlers may outlive statics
    return *r;
}

} // namespace

void watch_child(pid_t pid, std::function<void(int status)> fn) {
    auto& r = the_reaper();
    r.watched[pid] = std::move(fn);
    r.arm();
    // The child may have ended before SIGCHLD was caught for it.
    asio::post(nodus::io_context(), [] {
        auto& rr = the_reaper();
        rr.poll();
        rr.arm();
    });
}

void reset_reaper_in_child() noexcept {
    auto& r = the_reaper();
    r.watched.clear();
    ++r.generation;
    if (r.set) {
        boost::system::error_code ignored;
        r.set->cancel(ignored);
        r.set->clear(ignored);
        r.set.reset();
    }
    r.waiting = false;
}

void reap_all_blocking() noexcept {
    auto& r = the_reaper();
    for (auto& [pid, fn] : r.watched) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    }
    r.watched.clear();
}

} // namespace nodus::detail
