#include "client/detail/agent_state.hpp"
#include "client/detail/exchange.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <algorithm>

namespace nodus::client::detail {

namespace {
const nodus::http::detail::chunked_limits trailer_limits{0, 16 * 1024, 64};
} // namespace

void exchange::on_read(const boost::system::error_code& ec, std::size_t n) {
    if (stage_ != stage::sending) return;
    if (n > 0) got_bytes_ = true;
    if (ec) {
        if (!got_bytes_ && phase_ == phase::head && can_retry()) return retry();
        peer_closed_ = true;
        if (ec != boost::asio::error::eof && ec != boost::asio::ssl::error::stream_truncated &&
            ec != boost::asio::error::connection_reset)
            nodus::log::get().debug("client: read from {}: {}", where().key, ec.message());
    }
    if (phase_ == phase::body && !paused_) arm(deadline_kind::idle, opts_.idle_timeout);
    process();
}

// Handles what the buffer holds, then reads more unless paused. A callback may pause,
// resume, abort or end the exchange: every step checks the stage again, and resume() from
// inside a callback only lifts the pause (this loop goes on).
void exchange::process() {
    if (processing_) return;
    processing_ = true;
    auto self = shared_from_this();
    auto conn = conn_; // the chunk handed out points into its buffer
    while (stage_ == stage::sending && step()) {}
    processing_ = false;
    if (stage_ != stage::sending || (phase_ == phase::body && paused_)) return;
    if (peer_closed_) return on_peer_closed();
    if (!conn_->reading()) conn_->read();
}

bool exchange::step() {
    const auto data = conn_->readable();
    if (phase_ == phase::body) return !paused_ && on_body_bytes(data);
    if (data.empty()) return false;
    const char* why = nullptr;
    const auto n = find_head_end(data, scanned_, why);
    if (why) {
        fail(errc::bad_response, std::string("bad response: ") + why);
        return false;
    }
    return n != 0 && on_head(n);
}

bool exchange::on_head(std::size_t n) {
    bufs_->head_text.assign(conn_->readable().substr(0, n));
    conn_->consume(n);
    scanned_ = 0;
    if (auto why = parse_response_head(bufs_->head_text, head_request_, head_)) {
        fail(errc::bad_response, std::string("bad response: ") + why);
        return false;
    }
    if (head_.status == 101) {
        fail(errc::bad_response, "bad response: 101 Switching Protocols to a request without Upgrade");
        return false;
    }
    if (head_.status < 200) {
        if (head_.status == 100 && !body_open_ && head_built_) {
            open_body();
            flush();
            if (auto fn = std::move(on_continue_)) call(fn);
        }
        return true;
    }
    phase_ = phase::body;
    remaining_ = head_.content_length;
    decoder_ = {};
    decoder_.set_limits(trailer_limits);
    trailer_text_.clear();
    trailers_.clear();
    if (paused_) arm(deadline_kind::none, {});
    else arm(deadline_kind::idle, opts_.idle_timeout);
    redirecting_ = wants_redirect();
    if (redirecting_ && redirects_ >= opts_.max_redirects) {
        fail(errc::too_many_redirects, "too many redirects (" + std::to_string(redirects_) + ")");
        return false;
    }
    if (!redirecting_) {
        if (auto fn = std::move(on_response_)) call(fn, client::response(shared_from_this()));
        if (stage_ != stage::sending) return false;
    }
    if (head_.body == framing::none || (head_.body == framing::length && remaining_ == 0)) finish_body();
    return true;
}

bool exchange::on_body_bytes(std::string_view data) {
    if (data.empty()) return false;
    switch (head_.body) {
    case framing::length: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
        conn_->consume(n);
        remaining_ -= n;
        deliver(data.substr(0, n));
        if (remaining_ == 0 && stage_ == stage::sending) finish_body();
        return true;
    }
    case framing::chunked: {
        const auto s = decoder_.decode(data, trailer_text_);
        conn_->consume(s.used);
        if (s.error) {
            fail(errc::bad_response, std::string("bad response: ") + s.error.reason);
            return false;
        }
        if (!s.data.empty()) deliver(s.data);
        if (s.done && stage_ == stage::sending) finish_body();
        return true;
    }
    case framing::until_close:
        conn_->consume(data.size());
        deliver(data);
        return true;
    case framing::none: break;
    }
    return false;
}

void exchange::deliver(std::string_view chunk) {
    if (redirecting_ || !on_data_ || stage_ != stage::sending) return;
    call(on_data_, chunk);
}

// The connection goes back to the pool only when nothing about it is in doubt: the whole
// response read and nothing after it (bytes past Content-Length are not a next response),
// the whole request sent, and both sides willing to keep it.
void exchange::finish_body() {
    phase_ = phase::complete;
    if (head_.body == framing::chunked) split_trailers(trailer_text_, trailers_);
    const bool reusable = head_.keep_alive && head_.body != framing::until_close && !peer_closed_ &&
        request_sent() && !write_failed_ && conn_->readable().empty();
    // No reference of its own: it runs inside process(), which holds one.
    if (redirecting_) {
        teardown(reusable);
        return follow_redirect();
    }
    teardown(reusable);
    stage_ = stage::done;
    end_ = ending::completed;
    auto fn = std::move(on_end_);
    clear_callbacks();
    if (fn) call(fn);
}

void exchange::on_peer_closed() {
    if (phase_ == phase::body && head_.body == framing::until_close) return finish_body();
    if (phase_ == phase::head)
        return fail(
            errc::closed,
            got_bytes_ ? "connection closed in the response head" : "connection closed before the response");
    fail(errc::closed, "connection closed mid-body");
}

void exchange::set_on_end(std::function<void()> fn) {
    if (phase_ == phase::complete) {
        if (fn) call(fn);
        return;
    }
    on_end_ = std::move(fn);
}

void exchange::pause() noexcept {
    if (stage_ != stage::sending || phase_ == phase::complete) return;
    paused_ = true;
    if (phase_ == phase::body) arm(deadline_kind::none, {});
}

void exchange::resume() {
    if (!paused_) return;
    paused_ = false;
    if (stage_ != stage::sending || phase_ != phase::body) return;
    arm(deadline_kind::idle, opts_.idle_timeout);
    process();
}

void exchange::collect(std::size_t limit, std::function<void(const error&, std::string)> fn) {
    collect_limit_ = limit;
    auto done = std::make_shared<std::function<void(const error&, std::string)>>(std::move(fn));
    on_data_ = [this](std::string_view chunk) {
        if (collected_.size() + chunk.size() > collect_limit_)
            return fail(errc::body_too_large,
                        "body too large: over " + std::to_string(collect_limit_) + " bytes");
        collected_.append(chunk);
    };
    on_end_ = [this, done] { (*done)({}, std::move(collected_)); };
    on_error_ = [done](const error& e) { (*done)(e, {}); };
}

} // namespace nodus::client::detail
