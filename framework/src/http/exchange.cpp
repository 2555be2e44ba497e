#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"

#include <nodus/http/error.hpp>

namespace nodus::detail {

void intrusive_ptr_add_ref(exchange* ex) noexcept { ++ex->refs_; }

void intrusive_ptr_release(exchange* ex) noexcept {
    if (--ex->refs_ > 0) return;
    // The last handle is gone: an attached exchange is the connection's to finish.
    if (ex->conn_) ex->conn_->exchange_unreferenced(*ex);
    else recycle_exchange(ex);
}

void exchange::detach(bool aborted, bool unsent) {
    conn_ = nullptr;
    if (aborted) {
        if (!body_.done()) body_.fail(make_error_code(errc::aborted));
        if (!res_.ended() || unsent) res_.abort();
        res_.mark_ended();
    }
    // Callbacks often hold handles to their own exchange: drop them to break the cycle.
    body_.drop_callbacks();
    res_.drop_callbacks();
    parser_.reset();
}

void exchange::reset() noexcept {
    req_.reset();
    body_.reset();
    res_.reset();
    parser_.reset();
}

} // namespace nodus::detail
