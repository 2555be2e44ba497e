// Stopping a server: graceful close (drain within a deadline), immediate close,
// retiring a worker's connections, and the signals that ask for either.
#include "http/detail/server_impl.hpp"
#include "loop/detail/stopping.hpp"

#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <boost/asio/post.hpp>

#include <csignal>
#include <cstdlib>

namespace nodus::http::detail {

namespace asio = boost::asio;

void server_impl::close(std::function<void()> done) {
    if (done) on_closed_ = std::move(done);
    if (closing_) return;
    closing_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    accept_delay_.cancel();
    close_all_parked(true);
    retire_all();
    if (open_) {
        ++pending_;
        drain_timer_.expires_after(std::chrono::milliseconds(cfg_.drain_timeout_ms));
        drain_timer_.async_wait([this](const boost::system::error_code& e) {
            --pending_;
            if (!e && open_) {
                log::get().warn("drain deadline reached: closing {} connection(s)", open_);
                close_now();
            }
            maybe_delete();
        });
    }
    maybe_finish_close();
}

void server_impl::close_now() {
    closing_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    accept_delay_.cancel();
    close_all_parked(false);
    for (int k = 0; k < int(wait_kind::count); ++k)
        while (auto* c = lists_.head(wait_kind(k))) c->close_now();
    maybe_finish_close();
}

void server_impl::retire() {
    retiring_ = true;
    close_all_parked(true);
    retire_all();
}

void server_impl::retire_all() {
    for (int k = 0; k < int(wait_kind::count); ++k)
        for (auto* c = lists_.head(wait_kind(k)); c;) {
            auto* next = c->hook_.next;
            c->retire();
            c = next;
        }
}

void server_impl::maybe_finish_close() {
    if (!closing_ || open_ || close_done_) return;
    close_done_ = true;
    drain_timer_.cancel();
    sweeper_.cancel();
    sigterm_.cancel();
    sigint_.cancel();
    if (on_closed_) {
        auto fn = std::move(on_closed_);
        on_closed_ = nullptr;
        asio::post(ctx_, std::move(fn));
    }
    if (hooks_.on_closed) asio::post(ctx_, hooks_.on_closed);
}

void server_impl::release_handle() noexcept {
    handle_alive_ = false;
    maybe_delete();
}

void server_impl::maybe_delete() {
    if (!handle_alive_ && !acceptor_.is_open() && open_ == 0 && pending_ == 0 && !sigterm_.active() &&
        !sigint_.active())
        delete this;
}

void server_impl::handle_signals(bool on) {
    if (!on) {
        sigterm_.cancel();
        sigint_.cancel();
        return;
    }
    if (sigterm_.active()) return;
    auto fn = [this](int signo) {
        if (++signals_seen_ == 1) {
            log::get().info("{}: stopping gracefully (send it again to stop at once)",
                            signo == SIGTERM ? "SIGTERM" : "SIGINT");
            nodus::detail::begin_stopping();
            if (close_delay_.count() > 0 && !closing_) {
                log::get().info("closing the listener in {} ms", close_delay_.count());
                close_delay_timer_ = nodus::set_timeout(close_delay_, [this] { close({}); });
            } else {
                close({});
            }
        } else {
            // Stop at once, as asked: whatever the application still had pending is
            // abandoned, so there is nothing to unwind; only the log is flushed.
            log::get().info("stopping now");
            close_now();
            log::shutdown();
            std::_Exit(1);
        }
    };
    sigterm_ = on_signal(SIGTERM, fn);
    sigint_ = on_signal(SIGINT, fn);
}

} // namespace nodus::http::detail
