// WebSocket connections on Boost.Beast's websocket stream, after the HTTP connection handed
// its socket over (http/detail/upgrade.hpp).
#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>
#include <nodus/ws/websocket.hpp>

#include "http/detail/exchange.hpp"
#include "http/detail/upgrade.hpp"
#include "ws/detail/handshake.hpp"
#include "ws/detail/ws_socket.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <spdlog/logger.h>
#include <unistd.h>

#include <array>
#include <deque>
#include <exception>
#include <string>
#include <utility>

namespace nodus {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bws = boost::beast::websocket;

namespace detail {

void teardown(beast::role_type role, ws_socket& sock, beast::error_code& ec) {
    shut_sending(role, sock, ec);
    char buf[2048];
    while (!ec) sock.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::eof) ec = {};
    beast::error_code ignored;
    sock.close(ignored);
}

struct websocket_route_state : std::enable_shared_from_this<websocket_route_state> {
    websocket_options opts;
    std::function<void(websocket, const request&)> on_open;
    std::vector<websocket_state*> open; // connections past the handshake, not yet ended

    void add(websocket_state* s);
    void remove(websocket_state* s) noexcept;
};

struct websocket_state : std::enable_shared_from_this<websocket_state> {
    struct message {
        std::string data;
        bool binary;
    };

    websocket_state(std::shared_ptr<websocket_route_state> r, ws_socket sock)
        : route(std::move(r)), stream(std::move(sock)) {}

    std::shared_ptr<websocket_route_state> route;
    bws::stream<ws_socket> stream;
    beast::flat_buffer in;
    std::deque<message> queue;
    std::size_t queued = 0; // bytes in `queue`
    std::vector<std::string> spare; // sent messages' strings, reused: steady sending does not allocate
    std::string protocol, remote;
    std::function<void(std::string_view, bool)> on_message;
    std::function<void(std::uint16_t, std::string_view)> on_close;
    std::function<void()> on_drain;
    std::size_t registry_index = 0;
    bool registered = false;
    bool open = false; // handshake done, close not started
    bool writing = false, reading = false, paused = false, closing = false, ended = false;
    bool need_drain = false;
    std::uint16_t close_code = 0;
    std::string close_reason;

    void start(std::string head, nodus::request req);
    void on_accepted(const beast::error_code& ec, const nodus::request& req);
    void do_read();
    void on_read(const beast::error_code& ec);
    bool enqueue(std::string_view data, bool binary);
    void do_write();
    void on_write(const beast::error_code& ec, std::size_t n);
    void do_close(std::uint16_t code, std::string_view reason);
    void end(std::uint16_t code, std::string_view reason);
    template <class Fn>
    void guarded(const char* what, Fn&& fn);
};

void websocket_route_state::add(websocket_state* s) {
    s->registry_index = open.size();
    s->registered = true;
    open.push_back(s);
}

void websocket_route_state::remove(websocket_state* s) noexcept {
    if (!s->registered) return;
    s->registered = false;
    open[s->registry_index] = open.back();
    open[s->registry_index]->registry_index = s->registry_index;
    open.pop_back();
}

// An exception from the application's callback closes the connection with 1011 and is
// logged; it never reaches the loop.
template <class Fn>
void websocket_state::guarded(const char* what, Fn&& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        log::get().error("websocket {}: {} threw: {}", remote, what, e.what());
        do_close(close_code::internal_error, "internal error");
    } catch (...) {
        log::get().error("websocket {}: {} threw an exception", remote, what);
        do_close(close_code::internal_error, "internal error");
    }
}

namespace {

// Every route with open connections, for the graceful stop: each connection is closed with
// 1001 so that clients reconnect (to a new worker during a reload) at once.
std::vector<std::weak_ptr<websocket_route_state>>& routes() {
    static std::vector<std::weak_ptr<websocket_route_state>> all;
    return all;
}

void close_every_connection() {
    for (auto& weak : routes()) {
        auto r = weak.lock();
        if (!r) continue;
        std::vector<std::shared_ptr<websocket_state>> open;
        for (auto* s : r->open) open.push_back(s->shared_from_this());
        for (auto& s : open) s->do_close(close_code::going_away, "server stopping");
    }
}

void remember_route(const std::shared_ptr<websocket_route_state>& r) {
    static bool hooked = false;
    if (!hooked) {
        hooked = true;
        on_stopping(close_every_connection);
    }
    auto& all = routes();
    std::erase_if(all, [](auto& w) { return w.expired(); });
    all.push_back(r);
}

std::uint16_t code_for(const beast::error_code& ec) {
    if (ec == bws::error::message_too_big || ec == bws::error::buffer_overflow)
        return close_code::message_too_big;
    if (ec == bws::error::bad_frame_payload) return close_code::invalid_payload;
    if (ec.category() == make_error_code(bws::error::closed).category()) return close_code::protocol_error;
    return close_code::abnormal;
}

} // namespace

void websocket_state::start(std::string head, nodus::request req) {
    auto& o = route->opts;
    bws::stream_base::timeout t{};
    t.handshake_timeout = o.handshake_timeout;
    t.idle_timeout = o.idle_timeout.count() > 0 ? std::chrono::steady_clock::duration(o.idle_timeout)
                                                : bws::stream_base::none();
    t.keep_alive_pings = o.keep_alive_pings && o.idle_timeout.count() > 0;
    stream.set_option(t);
    stream.read_message_max(o.max_message_bytes);
    stream.auto_fragment(false);
    if (o.permessage_deflate) {
        bws::permessage_deflate pmd;
        pmd.server_enable = true;
        pmd.server_max_window_bits = o.deflate_window_bits;
        pmd.client_max_window_bits = o.deflate_window_bits;
        pmd.memLevel = 4;
        stream.set_option(pmd);
    }
    stream.set_option(bws::stream_base::decorator([p = protocol](bws::response_type& res) {
        res.set(beast::http::field::server, "nodus");
        if (!p.empty()) res.set(beast::http::field::sec_websocket_protocol, p);
    }));
    auto self = shared_from_this();
    // Beast reads the upgrade request again from the bytes the HTTP connection had; any
    // bytes after the head stay in its buffer as the first frames.
    stream.async_accept(asio::buffer(head), [self, req = std::move(req)](const beast::error_code& ec) {
        self->on_accepted(ec, req);
    });
}

void websocket_state::on_accepted(const beast::error_code& ec, const nodus::request& req) {
    if (ec) {
        log::get().debug("websocket {}: handshake failed: {}", remote, ec.message());
        end(close_code::abnormal, {});
        return;
    }
    open = true;
    route->add(this);
    if (route->on_open) guarded("on_open", [&] { route->on_open(websocket{shared_from_this()}, req); });
    if (!ended && !paused) do_read();
}

void websocket_state::do_read() {
    if (reading || ended || !stream.is_open()) return;
    reading = true;
    stream.async_read(in, [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
        self->reading = false;
        self->on_read(ec);
    });
}

void websocket_state::on_read(const beast::error_code& ec) {
    if (ec) {
        if (ec == bws::error::closed) {
            auto r = stream.reason();
            end(r.code == bws::close_code::none ? close_code::no_status : static_cast<std::uint16_t>(r.code),
                std::string_view(r.reason.data(), r.reason.size()));
        } else {
            if (ec != asio::error::operation_aborted)
                log::get().debug("websocket {}: closed: {}", remote, ec.message());
            end(code_for(ec), {});
        }
        return;
    }
    auto data = in.cdata();
    bool binary = stream.got_binary();
    if (on_message)
        guarded("on_message", [&] {
            on_message(std::string_view(static_cast<const char*>(data.data()), data.size()), binary);
        });
    in.consume(in.size());
    // A large message leaves a large buffer behind; an idle connection should not keep it.
    if (in.capacity() > 16 * 1024) in.shrink_to_fit();
    if (!paused) do_read();
}

bool websocket_state::enqueue(std::string_view data, bool binary) {
    if (!open || closing || ended) return false;
    auto& o = route->opts;
    if (queued + data.size() > o.max_buffered) {
        if (o.on_overflow == websocket_options::overflow::close) {
            log::get().warn("websocket {}: {} bytes queued and the peer does not read: closing", remote,
                            queued);
            do_close(close_code::policy_violation, "send queue overflow");
        }
        return false;
    }
    std::string bytes;
    if (!spare.empty()) {
        bytes = std::move(spare.back());
        spare.pop_back();
    }
    bytes.assign(data);
    queue.push_back({std::move(bytes), binary});
    queued += data.size();
    do_write();
    if (queued > o.high_water_mark) {
        need_drain = true;
        return false;
    }
    return true;
}

void websocket_state::do_write() {
    if (writing || queue.empty() || ended) return;
    writing = true;
    auto& m = queue.front();
    stream.binary(m.binary);
    stream.async_write(asio::buffer(m.data),
                       [self = shared_from_this()](const beast::error_code& ec, std::size_t n) {
                           self->writing = false;
                           self->on_write(ec, n);
                       });
}

void websocket_state::on_write(const beast::error_code& ec, std::size_t) {
    if (ec) {
        queue.clear();
        queued = 0;
        end(code_for(ec), {});
        return;
    }
    queued -= queue.front().data.size();
    if (spare.size() < 2 && queue.front().data.capacity() <= 16 * 1024)
        spare.push_back(std::move(queue.front().data));
    queue.pop_front();
    if (need_drain && queued <= route->opts.high_water_mark) {
        need_drain = false;
        if (auto fn = std::move(on_drain)) {
            on_drain = nullptr;
            guarded("on_drain", fn);
        }
    }
    if (!queue.empty()) do_write();
    else if (closing && !ended) do_close(close_code, close_reason);
}

void websocket_state::do_close(std::uint16_t code, std::string_view reason) {
    if (ended) return;
    if (!open && !closing) { // the handshake has not completed: nothing to say, just go
        end(close_code::abnormal, {});
        return;
    }
    if (!closing) {
        closing = true;
        open = false;
        close_code = code;
        close_reason.assign(reason.substr(0, 123));
    }
    if (writing || !queue.empty()) return; // after the queued messages (on_write comes back)
    if (!stream.is_open()) return;
    bws::close_reason cr(static_cast<bws::close_code>(close_code), close_reason);
    stream.async_close(cr, [self = shared_from_this()](const beast::error_code& ec) {
        // The peer's close frame (or the timeout) ends the read in progress; a paused
        // connection has none, so end here.
        if (ec || !self->reading) self->end(self->close_code, self->close_reason);
    });
}

void websocket_state::end(std::uint16_t code, std::string_view reason) {
    if (ended) return;
    ended = true;
    open = false;
    route->remove(this);
    queue.clear();
    queued = 0;
    beast::error_code ignored;
    beast::get_lowest_layer(stream).close(ignored);
    auto fn = std::move(on_close);
    on_close = nullptr;
    on_message = nullptr;
    on_drain = nullptr;
    std::string why(reason);
    if (fn) guarded("on_close", [&] { fn(code, why); });
}

} // namespace detail

using detail::websocket_route_state;
using detail::websocket_state;

// ------------------------------------------------------------------ websocket

bool websocket::send(std::string_view text) const { return st_ && st_->enqueue(text, false); }
bool websocket::send_binary(std::string_view data) const { return st_ && st_->enqueue(data, true); }
void websocket::close(std::uint16_t code, std::string_view reason) const {
    if (st_) st_->do_close(code, reason);
}
void websocket::pause() const {
    if (st_) st_->paused = true;
}
void websocket::resume() const {
    if (!st_ || !st_->paused) return;
    st_->paused = false;
    if (st_->open || st_->closing) st_->do_read();
}
void websocket::on_message(std::function<void(std::string_view, bool)> fn) const {
    if (st_ && !st_->ended) st_->on_message = std::move(fn);
}
void websocket::on_close(std::function<void(std::uint16_t, std::string_view)> fn) const {
    if (st_ && !st_->ended) st_->on_close = std::move(fn);
}
void websocket::on_drain(std::function<void()> fn) const {
    if (st_ && !st_->ended) st_->on_drain = std::move(fn);
}
bool websocket::is_open() const noexcept { return st_ && st_->open; }
std::size_t websocket::buffered() const noexcept { return st_ ? st_->queued : 0; }
std::string_view websocket::protocol() const noexcept { return st_ ? std::string_view{st_->protocol} : ""; }
std::string_view websocket::remote_address() const noexcept {
    return st_ ? std::string_view{st_->remote} : "";
}

// ------------------------------------------------------------------ websocket_route

websocket_route::websocket_route(websocket_options opts) : st_(std::make_shared<websocket_route_state>()) {
    st_->opts = std::move(opts);
    detail::remember_route(st_);
}

void websocket_route::on_open(std::function<void(websocket, const request&)> fn) {
    st_->on_open = std::move(fn);
}

std::size_t websocket_route::broadcast(std::string_view data, bool binary) const {
    std::size_t n = 0;
    std::vector<std::shared_ptr<websocket_state>> open;
    for (auto* s : st_->open) open.push_back(s->shared_from_this());
    for (auto& s : open)
        if (s->enqueue(data, binary) || s->open) ++n;
    return n;
}

std::size_t websocket_route::size() const noexcept { return st_->open.size(); }

handler websocket_route::upgrade() const {
    return [st = st_](request req, response res) {
        ws::detail::upgrade_request u;
        u.method = req.method();
        u.version = req.version();
        u.has_body = req.has_body();
        u.upgrade = req.header("Upgrade");
        u.connection = req.header("Connection");
        u.key = req.header("Sec-WebSocket-Key");
        u.ws_version = req.header("Sec-WebSocket-Version");
        u.has_origin = req.has_header("Origin");
        u.origin = req.header("Origin");
        u.protocols = req.header("Sec-WebSocket-Protocol");
        auto v = ws::detail::check_upgrade(u, st->opts.protocols, st->opts.allow_origin);
        if (v.status != 101) {
            res.status(v.status);
            if (!v.extra_name.empty()) res.set(v.extra_name, v.extra_value);
            res.set("Content-Type", "text/plain");
            res.end(std::string(v.why) + "\n");
            return;
        }
        // The connection gives its socket away once the handler has returned and the
        // connection is back in a state it can leave.
        next_tick([st, req, res, protocol = std::move(v.protocol)]() mutable {
            auto* ex = nodus::detail::handle_access::get(req);
            auto taken = http::detail::take_socket(*ex);
            if (taken.fd < 0) {
                if (!res.finished()) {
                    res.status(503);
                    res.set("Connection", "close");
                    res.end("the connection could not be upgraded\n");
                }
                return;
            }
            boost::system::error_code ec;
            detail::ws_socket sock(io_context());
            sock.assign(taken.v6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), taken.fd, ec);
            if (ec) {
                ::close(taken.fd);
                if (taken.tls) tls::detail::free(taken.tls);
                return;
            }
            if (taken.tls) sock.set_tls(taken.tls);
            auto s = std::make_shared<websocket_state>(st, std::move(sock));
            s->protocol = std::move(protocol);
            s->remote = std::string(req.remote_address());
            std::string head(ex->req().head());
            head += taken.rest;
            s->start(std::move(head), std::move(req));
        });
    };
}

} // namespace nodus
