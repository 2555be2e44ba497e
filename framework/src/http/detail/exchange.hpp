#pragma once
// One HTTP exchange: the request head, its body flow and the response state, shared by
// the request/response handles (a plain, non-atomic count) and the connection serving it.
// Pooled per loop (exchange_pool.cpp).
#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>

#include "http/detail/body_flow.hpp"
#include "http/detail/exchange_extras.hpp"
#include "http/detail/request_head.hpp"
#include "http/detail/request_parser.hpp"
#include "http/detail/response_state.hpp"

#include <exception>
#include <memory>
#include <optional>

namespace nodus::http::detail {
class connection;
}

namespace nodus::detail {

class exchange {
public:
    request_head& req() noexcept { return req_; }
    const request_head& req() const noexcept { return req_; }
    body_flow& body() noexcept { return body_; }
    const body_flow& body() const noexcept { return body_; }
    response_state& res() noexcept { return res_; }
    const response_state& res() const noexcept { return res_; }

    /// The connection serving the exchange; null once it let go (finished or lost).
    http::detail::connection* conn() const noexcept { return conn_; }
    void attach(http::detail::connection* c) noexcept { conn_ = c; }
    /// The connection lets go. `aborted`: it was lost, so the body fails, and the close
    /// callback runs unless the response had fully left (`unsent`: bytes still queued).
    void detach(bool aborted, bool unsent);

    /// A parser over the stored head; its callbacks fill req() and feed body().
    request_parser& start_parsing() { return parser_.emplace(*this); }
    request_parser* parser() noexcept { return parser_ ? &*parser_ : nullptr; }

    /// Finish callbacks, locals and the body filter: null until one is used.
    exchange_extras* extras() const noexcept { return extras_.get(); }
    exchange_extras& make_extras();
    /// The filter the application's writes go through, if any.
    body_filter* filter() const noexcept { return extras_ ? extras_->filter() : nullptr; }

    void reset() noexcept; // blank, capacity kept

private:
    void run_finish(bool aborted) noexcept;
    void log_threw(const char* where, std::exception_ptr e) const noexcept;

    friend void intrusive_ptr_add_ref(exchange* ex) noexcept;
    friend void intrusive_ptr_release(exchange* ex) noexcept;

    std::uint32_t refs_ = 0;
    http::detail::connection* conn_ = nullptr;
    request_head req_;
    body_flow body_;
    response_state res_;
    std::optional<request_parser> parser_;
    std::unique_ptr<exchange_extras> extras_;
};

/// The way from a handle to its exchange and back, for the framework only.
class handle_access {
public:
    static exchange* get(const nodus::request& r) noexcept { return r.ex_.get(); }
    static exchange* get(const nodus::response& r) noexcept { return r.ex_.get(); }
    static nodus::request request_of(exchange* ex) noexcept { return nodus::request{ex}; }
    static nodus::response response_of(exchange* ex) noexcept { return nodus::response{ex}; }
};

/// The exchange's error boundary: `e`, thrown by the application's `where` callback, is
/// logged, and the exchange answered 500 (or its connection closed once the head went out).
/// The process goes on serving.
void callback_threw(exchange& ex, const char* where, std::exception_ptr e) noexcept;

/// Runs `fn`, an application callback of `ex`, under the exchange's error boundary.
template <class Fn>
void guarded(exchange& ex, const char* where, Fn&& fn) noexcept {
    try {
        fn();
    } catch (...) {
        callback_threw(ex, where, std::current_exception());
    }
}

/// Per-loop pool of exchanges.
exchange* acquire_exchange();
void recycle_exchange(exchange* ex) noexcept;

} // namespace nodus::detail
