// The connection's side of an exchange: starting it from a parsed head, its body, its
// end, and the canned answers when something goes wrong.
#include "http/detail/connection.hpp"
#include "http/detail/access_line.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"
#include "metrics/detail/http_stats.hpp"

#include <nodus/http/answers.hpp>
#include <nodus/http/error.hpp>
#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace nodus::http::detail {

namespace beast = boost::beast;
using nodus::detail::exchange;
using nodus::detail::handle_access;
// Holds an exchange across a call that may detach it from the connection.
using pin = nodus::detail::exchange_ptr;

namespace {
// The parts of the head being started; one per thread, so their room is reused.
head_parts& checked_parts() {
    thread_local head_parts parts;
    return parts;
}
} // namespace

std::size_t connection::begin_whole_exchange(std::string_view buf) {
    head_info info;
    const auto end = check_request_head_prefix(buf, srv_.cfg(), info, checked_parts());
    if (end) start_exchange(buf.substr(0, end), info);
    return end;
}

void connection::begin_exchange(std::string_view head) {
    head_info info;
    auto vd = check_request_head(head, srv_.cfg(), info, checked_parts());
    if (vd.status) {
        reject(vd.status, vd.reason, head);
        return;
    }
    start_exchange(head, info);
}

// `head` was checked: `info` is what it says, and checked_parts() its parts.
void connection::start_exchange(std::string_view head, const head_info& info) {
    exchange* ex = open_exchange(head, info);
    if (!ex) return;
    cur_ = ex;
    if (++served_ >= 2) hot_ = true;
    srv_.count_request();
    if (srv_.counting()) ++metrics::detail::g_http.active;
    keep_alive_ = info.keep_alive && srv_.keep_alive_allowed();
    body_.stop();
    if (ex->req().method() == "HEAD") ex->res().set_no_body();
    if (!ex->parser() || ex->parser()->is_done()) {
        ex->body().mark_done();
        state_ = conn_state::waiting;
    } else {
        state_ = conn_state::body;
        body_deadline_ = coarse_now() + std::chrono::milliseconds(srv_.cfg().request_timeout_ms);
        body_rate_.close();
    }
    pin hold{ex};
    nodus::detail::guarded(*ex, "handler", [&] {
        srv_.on_request()(handle_access::request_of(ex), handle_access::response_of(ex));
    });
    // The wait is set after the handler (no timer runs before it returns): one that answered
    // at once leaves it to finish_exchange, which saves two list moves per request.
    if (state_ != conn_state::waiting || cur_ != ex || !ex->res().ended()) update_wait();
}

// An exchange with the head parsed by Beast, or null (and the request refused).
exchange* connection::open_exchange(std::string_view head, const head_info& info) {
    exchange* ex = nodus::detail::acquire_exchange();
    ex->attach(this);
    auto& req = ex->req();
    req.assign(head, info);
    // Only the access log and the metrics read the start time.
    req.set_start(log::access_enabled() || srv_.counting() ? clock::now() : clock::time_point{});
    req.set_remote(remote_);
    req.set_secure(tls_ != nullptr);
    if (!info.chunked && info.content_length == 0) {
        // No body: the head is checked already and splitting it is all that is left;
        // Beast's parser is only needed to read a body.
        req.index_head(head, checked_parts());
        return ex;
    }
    auto& p = ex->start_parsing();
    p.header_limit(static_cast<std::uint32_t>(head.size() + 1));
    p.set_limits(srv_.cfg());
    beast::error_code ec;
    auto stored = req.head();
    p.put(boost::asio::const_buffer(stored.data(), stored.size()), ec);
    if (!ec && p.is_header_done()) return ex;
    ex->attach(nullptr);
    nodus::detail::recycle_exchange(ex);
    if (ec == beast::http::error::body_limit) reject(413, "declared body over the limit", head);
    else reject(400, ec ? "malformed request head" : "incomplete request head", head);
    return nullptr;
}

void connection::callback_failed(exchange& ex) {
    if (&ex != cur_) return;
    pin hold{&ex};
    // The application's body callbacks are broken: none runs again, and the rest of the
    // body is not read (the connection closes after the answer).
    ex.body().abandon();
    if (state_ == conn_state::body) stop_input();
    if (!ex.res().head_sent() && !ex.res().ended()) error_response(ex, 500);
    else if (!ex.res().ended()) res_abort(ex);
    if (!in_process_) schedule();
}

void connection::refuse_body(exchange& ex) {
    if (&ex != cur_) return;
    ex.body().abandon();
    if (state_ == conn_state::body) stop_input();
    if (!in_process_) schedule();
}

// Answer `status` through the exchange (the application had not started a response).
void connection::error_response(exchange& ex, int status) {
    auto a = make_answer(status);
    ex.res().prepare_error(status, a.content_type);
    if (auto* x = ex.extras())
        x->each_sticky([&](const std::string& n, const std::string& v) { ex.res().set(n, v); });
    res_write(ex, a.body, true);
}

std::size_t connection::feed_body(std::string_view data, bool& more) {
    exchange* ex = cur_;
    pin hold{ex};
    body_reader::outcome out{0, feed_result::more};
    nodus::detail::guarded(*ex, "on_data", [&] { out = body_.feed(*ex, data); });
    auto [used, result] = out;
    if (cur_ != ex || state_ != conn_state::body) return used; // a callback moved things on
    if (used && (result == feed_result::more || result == feed_result::progressed) && !body_progress(used))
        return used;
    if (result != feed_result::more && result != feed_result::progressed && result != feed_result::done)
        log::get().debug("{} {}: request body ends: {}", ex->req().method(), ex->req().target(),
                         to_string(result));
    switch (result) {
    case feed_result::more: more = true; break;
    case feed_result::progressed: break;
    case feed_result::not_worth_it:
        // Not worth reading: close after the response instead.
        stop_input();
        nodus::detail::guarded(*ex, "on_error",
                               [&] { ex->body().fail(make_error_code(nodus::errc::aborted)); });
        break;
    case feed_result::too_large: body_failed(413, make_error_code(nodus::errc::body_too_large)); break;
    case feed_result::fields_too_large: body_failed(431, make_error_code(nodus::errc::body_too_large)); break;
    case feed_result::malformed: body_failed(400, make_error_code(nodus::errc::bad_body)); break;
    case feed_result::done:
        state_ = conn_state::waiting;
        update_wait();
        nodus::detail::guarded(*ex, "on_end", [&] { ex->body().finish(); });
        break;
    }
    return used;
}

// No more bytes will be read for this request: the connection closes after its response.
void connection::stop_input() noexcept {
    keep_alive_ = false;
    break_input();
    state_ = conn_state::waiting;
}

// The body cannot complete: tell the application, answer if it has not, then close.
void connection::body_failed(int status, std::error_code code) {
    exchange* ex = cur_;
    pin hold{ex};
    // An answer given before the failure was not told of it; one given by on_error was.
    const bool answered_blind = ex->res().head_sent();
    if (srv_.counting()) metrics::detail::record_rejected(status);
    stop_input();
    nodus::detail::guarded(*ex, "on_error", [&] { ex->body().fail(code); });
    if (cur_ != ex) return;
    if (!ex->res().head_sent() && !ex->res().ended()) error_response(*ex, status);
    else if (answered_blind && retract(*ex, status)) error_response(*ex, status);
    else if (!ex->res().ended()) res_abort(*ex);
}

// The application answered before the body was read, and bytes already received show the
// body is invalid: while none of the answer has left, the framework's verdict replaces it,
// so a client never takes a refused request for a served one.
bool connection::retract(exchange& ex, int status) {
    if (provisional_ == std::string_view::npos) return false;
    log::get().info("{} {}: the request body is invalid; answering {} instead of the application's {}",
                    ex.req().method(), ex.req().target(), status, ex.res().status());
    out_.take_back(provisional_);
    provisional_ = std::string_view::npos;
    ex.res().retract(ex.req().method() == "HEAD");
    return true;
}

void connection::finish_exchange() {
    exchange* ex = cur_;
    if (log::access_enabled()) log_exchange(*ex, ex->res().status());
    bool body_ok = ex->body().done();
    provisional_ = std::string_view::npos;
    detach_exchange(false);
    body_.stop();
    state_ =
        !keep_alive_ || !body_ok || input_ == input_state::broken ? conn_state::closing : conn_state::head;
    // Only process() calls this, and its callers end with tail(), which sets the wait once
    // the bytes of this request are consumed (here they still count as a partial head).
}

void connection::detach_exchange(bool aborted) {
    exchange* ex = cur_;
    if (!ex) return;
    // An exchange that ends here unfinished is logged like any other; with no response
    // sent, as nginx's 499.
    if (aborted && log::access_enabled())
        log_exchange(*ex, ex->res().head_sent() ? ex->res().status() : status_no_response);
    if (srv_.counting()) count_exchange(*ex, aborted);
    cur_ = nullptr;
    pin hold{ex};
    ex->detach(aborted, buffered() != 0);
}

// An exchange ends: count it by its route, method and status (nginx's 499 for one that lost
// its client before its response began), with its duration.
void connection::count_exchange(exchange& ex, bool aborted) noexcept {
    auto& g = metrics::detail::g_http;
    --g.active;
    const auto& req = ex.req();
    int status = aborted && !ex.res().head_sent() ? status_no_response : ex.res().status();
    double seconds = std::chrono::duration<double>(clock::now() - req.start()).count();
    metrics::detail::record_request(req.route_id(), req.method(), status, seconds);
}

void connection::exchange_unreferenced(exchange& ex) {
    // Every handle is gone. An unfinished response can never be finished now.
    if (&ex != cur_) return;
    if (!ex.res().ended()) {
        log::get().warn("{} {}: the handler dropped its response without ending it (response {}, body {})",
                        ex.req().method(), ex.req().target(), to_string(ex.res().phase()),
                        to_string(ex.body().state()));
        if (!ex.res().head_sent()) {
            if (!ex.body().done() && !ex.body().asked()) start_discard(ex);
            error_response(ex, 500);
            return;
        }
        res_abort(ex);
        return;
    }
    if (!ex.body().settled() && state_ == conn_state::body) {
        start_discard(ex);
        schedule();
    }
}

void connection::start_discard(exchange& ex) {
    if (body_.discarding() || ex.body().done()) return;
    if (ex.req().info().expect_continue && !ex.body().continue_answered()) {
        // The client waits for our word before sending the body: never ask, and close.
        stop_input();
        nodus::detail::guarded(ex, "on_error",
                               [&] { ex.body().fail(make_error_code(nodus::errc::aborted)); });
        return;
    }
    body_.start_discard(ex);
    body_reading_started();
}

bool connection::reading_body() const noexcept {
    return state_ == conn_state::body && (body_.discarding() || (cur_ && cur_->body().flowing()));
}

// The body's clocks run only while it is read: time the application holds it (before it asks,
// or paused) is not the client's. The idle deadline restarts, and so does the rate window.
void connection::body_reading_started() {
    if (state_ != conn_state::body) return;
    body_rate_.open(coarse_now());
    if (!writing_) srv_.move_to(this, wait_kind::body); // else the send deadline rules
}

// `n` body bytes arrived: false when the body has failed for being too slow overall.
bool connection::body_progress(std::size_t n) {
    auto& cfg = srv_.cfg();
    auto now = coarse_now();
    if (!body_rate_.is_open()) body_rate_.open(now);
    if (now >= body_deadline_ ||
        body_rate_.too_slow(n, now, std::chrono::milliseconds(cfg.min_rate_grace_ms), cfg.min_body_rate)) {
        log::get().info("{} {}: request body {}; answering 408", cur_->req().method(), cur_->req().target(),
                        now >= body_deadline_ ? "over request_timeout_ms" : "slower than min_body_rate");
        body_failed(408, make_error_code(nodus::errc::timeout));
        return false;
    }
    if (!writing_) srv_.move_to(this, wait_kind::body); // the idle deadline starts again
    return true;
}

void connection::body_flow_changed(exchange& ex) {
    if (&ex != cur_ || state_ == conn_state::closed) return;
    auto& body = ex.body();
    if (ex.req().info().expect_continue && !body.continue_answered() && !ex.res().head_sent() &&
        ex.req().info().version == 11)
        out_.interim_continue();
    body.set_continue_answered();
    body_reading_started();
    schedule();
}

void connection::reject(int status, const char* why, std::string_view head) {
    log::get().debug("rejecting request with {}: {}", status, why ? why : "");
    if (srv_.counting()) metrics::detail::record_rejected(status);
    auto bytes = out_.reject(status, fields());
    if (log::access_enabled()) log_refused(remote_, head, status, bytes);
    keep_alive_ = false;
    break_input();
    state_ = conn_state::closing;
    in_.beg = in_.end;
    if (!in_process_) schedule();
}

} // namespace nodus::http::detail
