#include "client/detail/exchange.hpp"

#include "client/detail/agent_state.hpp"
#include "client/detail/exchange_memory.hpp"
#include "text/detail/char_class.hpp"
#include "text/detail/scan.hpp"

#include <nodus/log/log.hpp>

#include <boost/asio/post.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <spdlog/spdlog.h>

namespace nodus::client::detail {

namespace cc = nodus::detail::char_class;
using nodus::detail::all_in_class;
using nodus::detail::iequals;
using nodus::detail::token_is;

namespace {

bool idempotent(std::string_view m) noexcept {
    return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "PUT" || m == "DELETE" || m == "TRACE";
}

// The fields prepare() looks for, told apart by length first: most names match none.
enum class field_kind : std::uint8_t { other, hop, host, content_length, transfer_encoding };

field_kind kind_of(std::string_view token) noexcept {
    switch (token.size()) {
    case 2: return token_is(token, "te") ? field_kind::hop : field_kind::other;
    case 4: return token_is(token, "host") ? field_kind::host : field_kind::other;
    case 7: return token_is(token, "upgrade") ? field_kind::hop : field_kind::other;
    case 10:
        return token_is(token, "connection") || token_is(token, "keep-alive") ? field_kind::hop
                                                                              : field_kind::other;
    case 14: return token_is(token, "content-length") ? field_kind::content_length : field_kind::other;
    case 16: return token_is(token, "proxy-connection") ? field_kind::hop : field_kind::other;
    case 17: return token_is(token, "transfer-encoding") ? field_kind::transfer_encoding : field_kind::other;
    default: return field_kind::other;
    }
}

const origin no_origin{};

} // namespace

exchange::exchange(options opts, std::function<void(client::response)> on_response)
    : opts_(std::move(opts)), on_response_(std::move(on_response)), bufs_(exchange_buffers::take()) {
    content_length_ = opts_.content_length; // write() holds the body to it before the start too
    head_.fields = std::move(bufs_->fields);
}

exchange::~exchange() {
    bufs_->fields = std::move(head_.fields);
    exchange_buffers::give(std::move(bufs_));
}

const origin& exchange::where() const noexcept { return pool_ ? pool_->where : no_origin; }

client::request exchange::open(options opts, std::function<void(client::response)> on_response) {
    auto ex = std::allocate_shared<exchange>(recycling_allocator<exchange>{}, std::move(opts),
                                             std::move(on_response));
    if (auto& a = ex->opts_.agent) ex->agent_ = std::move(a->state_); // the options' copy is not used again
    else ex->agent_ = default_agent().state_;
    boost::asio::post(nodus::io_context(), [ex] { ex->start(); });
    return client::request(ex);
}

// The scheme, host, port and target, from the URL or the separate options.
const char* exchange::prepare() {
    if (!opts_.url.empty()) {
        auto r = boost::urls::parse_uri(opts_.url);
        if (!r) return "bad URL";
        const auto& u = *r;
        if (iequals(u.scheme(), "https")) opts_.https = true;
        else if (iequals(u.scheme(), "http")) opts_.https = false;
        else return "unsupported URL scheme";
        if (u.has_userinfo()) return "user info in the URL";
        if (u.host_type() == boost::urls::host_type::ipv6) opts_.host = u.host_ipv6_address().to_string();
        else opts_.host = u.encoded_host();
        opts_.port = 0;
        if (u.has_port()) {
            if (u.port_number() == 0) return "bad port in the URL";
            opts_.port = u.port_number();
        }
        opts_.target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
        if (u.has_query()) opts_.target += "?" + std::string(u.encoded_query());
        opts_.url.clear();
    }
    const std::uint16_t port = opts_.port ? opts_.port : (opts_.https ? 443 : 80);
    if (!pool_ || !pool_->where.is(opts_.https, opts_.host, port)) {
        pool_ = agent_->pool_for(opts_.https, opts_.host, port);
        if (!pool_) return "bad host";
    }
    if (!nodus::detail::is_token_fast(opts_.method)) return "bad method";
    if (opts_.method == "CONNECT") return "CONNECT is not supported";
    const char* const target = opts_.target.data();
    const char* const target_end = target + opts_.target.size();
    if (opts_.target.empty() || nodus::detail::skip_target(target, target, target_end) != target_end)
        return "bad target";
    has_host_ = has_length_ = has_coding_ = false;
    for (const auto& [name, value] : opts_.headers) {
        if (!nodus::detail::is_token_fast(name) || !nodus::detail::is_field_value(value))
            return "bad header field";
        switch (kind_of(name)) {
        case field_kind::other: break;
        case field_kind::hop: return "hop-by-hop header field (the agent manages the connection)";
        case field_kind::host: has_host_ = true; break;
        case field_kind::content_length: {
            std::uint64_t n = 0;
            if (value.empty() || value.size() > 19 || !all_in_class(value, cc::digit))
                return "bad Content-Length";
            for (char c : value) n = n * 10 + static_cast<std::uint64_t>(c - '0');
            if (opts_.content_length && *opts_.content_length != n)
                return "Content-Length differs from content_length";
            opts_.content_length = n;
            has_length_ = true;
            break;
        }
        case field_kind::transfer_encoding:
            if (!iequals(value, "chunked")) return "only Transfer-Encoding: chunked can be sent";
            chunked_out_ = has_coding_ = true;
            break;
        }
    }
    if (chunked_out_ && opts_.content_length) return "Content-Length with Transfer-Encoding";
    content_length_ = opts_.content_length;
    if (content_length_ && given_ > *content_length_) return "the body is longer than its Content-Length";
    head_request_ = opts_.method == "HEAD";
    return nullptr;
}

void exchange::start() {
    if (stage_ != stage::created) return;
    if (auto why = prepare()) return fail(errc::bad_request, std::string("bad request: ") + why);
    agent_->acquire(shared_from_this(), false);
}

void exchange::connect_on(std::shared_ptr<connection> c) {
    stage_ = stage::connecting;
    conn_ = std::move(c);
    conn_->set_owner(shared_from_this());
    arm(deadline_kind::connect, opts_.connect_timeout);
    conn_->connect([self = shared_from_this(), c = conn_](std::error_code ec, std::string reason) {
        self->on_connected(c, ec, std::move(reason));
    });
}

void exchange::on_connected(const std::shared_ptr<connection>& c, std::error_code ec, std::string reason) {
    if (stage_ != stage::connecting || conn_ != c) return;
    if (!ec) return assign(c, false);
    if (ec == errc::connect_timeout)
        reason =
            "connect timeout: " + where().key + " (" + std::to_string(opts_.connect_timeout.count()) + " ms)";
    fail(static_cast<errc>(ec.value()), std::move(reason));
}

void exchange::assign(std::shared_ptr<connection> c, bool reused) {
    conn_ = std::move(c);
    conn_->set_owner(shared_from_this());
    reused_ = reused;
    got_bytes_ = peer_closed_ = write_failed_ = false;
    stage_ = stage::sending;
    // Until the application wrote or ended the body, the head waits: whether it declares a
    // length or chunks is not known yet (a GET ended a moment later needs neither).
    if (ended_ || given_ > 0 || content_length_) build_head();
    flush();
    if (request_sent()) arm(deadline_kind::header, opts_.header_timeout);
    if (!conn_->reading()) conn_->read(); // a pooled connection's read is pending already
}

void exchange::on_deadline(deadline_kind kind) {
    if (stage_ == stage::done) return;
    switch (kind) {
    case deadline_kind::connect:
        return fail(errc::connect_timeout,
                    "connect timeout: " + where().key + " (" + std::to_string(opts_.connect_timeout.count()) +
                        " ms)");
    case deadline_kind::header:
        return fail(errc::header_timeout,
                    "response header timeout (" + std::to_string(opts_.header_timeout.count()) + " ms)");
    case deadline_kind::idle:
        return fail(errc::idle_timeout,
                    "idle timeout (" + std::to_string(opts_.idle_timeout.count()) + " ms)");
    default: return;
    }
}

// Leaves the connection (to the pool when reusable) or the queue.
void exchange::teardown(bool reusable) noexcept {
    continue_timer_.cancel();
    if (conn_) {
        conn_->clear_owner();
        if (!reusable) conn_->close();
        try {
            agent_->release(*pool_, std::move(conn_), reusable);
        } catch (const std::exception& e) {
            nodus::log::get().error("client: cannot hand a connection back to its pool: {}", e.what());
        }
        conn_.reset();
    } else if (stage_ == stage::queued) {
        agent_->forget(*this);
    }
}

void exchange::clear_callbacks() noexcept {
    clear_pending_ = calling_ > 0;
    if (clear_pending_) return;
    on_response_ = nullptr;
    on_error_ = nullptr;
    on_drain_ = nullptr;
    on_continue_ = nullptr;
    on_data_ = nullptr;
    on_end_ = nullptr;
}

void exchange::fail(errc code, std::string reason) {
    if (stage_ == stage::done) return;
    auto self = shared_from_this();
    teardown(false);
    stage_ = stage::done;
    end_ = ending::failed;
    auto fn = std::move(on_error_);
    clear_callbacks();
    error err{make_error_code(code), std::move(reason)};
    if (fn) call(fn, err);
    else
        nodus::log::get().debug("client: {} {}{} failed: {}", opts_.method, where().key, opts_.target,
                                err.message());
}

void exchange::abort() noexcept {
    if (stage_ == stage::done) return;
    auto self = shared_from_this();
    teardown(false);
    stage_ = stage::done;
    end_ = ending::aborted;
    clear_callbacks();
}

// A pooled connection the server closed while it sat idle fails before any byte of a
// response; the request never reached the application, so an idempotent one is safe to
// send again (what Node's agent and undici do).
bool exchange::can_retry() const noexcept {
    return stage_ == stage::sending && reused_ && !got_bytes_ && !retried_ && opts_.retry_stale &&
        idempotent(opts_.method) && replayable_;
}

bool exchange::retryable() const noexcept {
    return opts_.retry_stale && !retried_ && ended_ && idempotent(opts_.method);
}

void exchange::retry() {
    retried_ = true;
    teardown(false);
    restart();
    agent_->acquire(shared_from_this(), true);
}

void exchange::restart() {
    bufs_->out.clear();
    bufs_->inflight.clear();
    head_built_ = body_open_ = need_drain_ = false;
    phase_ = phase::head;
    scanned_ = 0;
    decoder_ = {};
    trailer_text_.clear();
    stage_ = stage::created;
}

bool exchange::wants_redirect() const noexcept {
    const int s = head_.status;
    if (opts_.max_redirects <= 0) return false;
    if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308) return false;
    // A redirect that keeps the method keeps the body: one streamed away cannot be sent
    // again, so that 3xx is the answer.
    const bool becomes_get = s == 303 || ((s == 301 || s == 302) && opts_.method == "POST");
    if (!becomes_get && !replayable_) return false;
    for (const auto& f : head_.fields)
        if (iequals(f.name, "location")) return true;
    return false;
}

void exchange::follow_redirect() {
    std::string_view location;
    for (const auto& f : head_.fields)
        if (iequals(f.name, "location")) location = f.value;
    const int s = head_.status;
    if (s == 303 || ((s == 301 || s == 302) && opts_.method == "POST")) {
        if (opts_.method != "HEAD") opts_.method = "GET";
        body_.clear();
        content_length_.reset();
        opts_.content_length.reset();
        chunked_out_ = false;
        std::erase_if(opts_.headers, [](const auto& h) {
            return iequals(h.first, "content-length") || iequals(h.first, "content-type") ||
                iequals(h.first, "transfer-encoding");
        });
    }
    const std::string here = (where().https ? "https://" : "http://") + where().host_field + opts_.target;
    auto base = boost::urls::parse_uri(here);
    auto ref = boost::urls::parse_uri_reference(location);
    if (!base || !ref) return fail(errc::bad_response, "bad response: bad Location");
    boost::urls::url dest;
    if (!boost::urls::resolve(*base, *ref, dest))
        return fail(errc::bad_response, "bad response: bad Location");
    dest.remove_fragment();
    const auto* const old_pool = pool_;
    ++redirects_;
    redirecting_ = false;
    opts_.url = std::string(dest.buffer());
    restart();
    ended_ = true;
    given_ = body_.size();
    if (auto why = prepare()) return fail(errc::bad_request, std::string("bad redirect: ") + why);
    if (pool_ != old_pool)
        std::erase_if(opts_.headers, [](const auto& h) {
            return iequals(h.first, "authorization") || iequals(h.first, "cookie") ||
                iequals(h.first, "proxy-authorization");
        });
    agent_->acquire(shared_from_this(), false);
}

} // namespace nodus::client::detail
