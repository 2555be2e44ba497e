#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"

#include <nodus/http/error.hpp>
#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

namespace nodus::detail {

void intrusive_ptr_add_ref(exchange* ex) noexcept { ++ex->refs_; }

void intrusive_ptr_release(exchange* ex) noexcept {
    if (--ex->refs_ > 0) return;
    // The last handle is gone: an attached exchange is the connection's to finish.
    if (ex->conn_) ex->conn_->exchange_unreferenced(*ex);
    else recycle_exchange(ex);
}

namespace {
std::string describe(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {}
    return "unknown exception";
}
} // namespace

void exchange::log_threw(const char* where, std::exception_ptr e) const noexcept {
    try {
        log::get().error("{} {}: {} threw: {}", req_.method(), req_.target(), where, describe(e));
    } catch (...) {}
}

void callback_threw(exchange& ex, const char* where, std::exception_ptr e) noexcept {
    try {
        std::string what = "unknown exception";
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            what = x.what();
        } catch (...) {}
        log::get().error("{} {}: {} threw: {}", ex.req().method(), ex.req().target(), where, what);
        if (auto* c = ex.conn()) c->callback_failed(ex);
    } catch (...) {
        // Out of memory while answering: losing the connection is all that is left.
        if (auto* c = ex.conn()) c->res_abort(ex);
    }
}

void exchange::detach(bool aborted, bool unsent) {
    conn_ = nullptr;
    const bool cut = aborted && (!res_.ended() || unsent);
    if (aborted) {
        if (!body_.done()) guarded(*this, "on_error", [&] { body_.fail(make_error_code(errc::aborted)); });
        if (cut) guarded(*this, "on_close", [&] { res_.abort(); });
        res_.mark_ended();
    }
    if (extras_) run_finish(cut);
    // Callbacks often hold handles to their own exchange: drop them to break the cycle.
    body_.drop_callbacks();
    res_.drop_callbacks();
    parser_.reset();
}

exchange_extras& exchange::make_extras() {
    if (!extras_) extras_ = std::make_unique<exchange_extras>();
    return *extras_;
}

void exchange::run_finish(bool aborted) noexcept {
    extras_->drop_filter();
    auto fns = extras_->take_finish();
    if (fns.empty()) return;
    finish_info info;
    info.status = res_.head_sent() ? res_.status() : 499;
    info.bytes = res_.body_bytes();
    info.aborted = aborted;
    if (req_.start() != request_head::clock::time_point{})
        info.duration = request_head::clock::now() - req_.start();
    for (auto& fn : fns) {
        try {
            fn(info);
        } catch (...) {
            log_threw("on_finish", std::current_exception());
        }
    }
}

void exchange::reset() noexcept {
    if (extras_) extras_->clear();
    req_.reset();
    body_.reset();
    res_.reset();
    parser_.reset();
}

} // namespace nodus::detail
