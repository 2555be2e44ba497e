// The public face of WebSocket routes and connections (the connection itself is in
// connection.cpp, its route's timer and registry in route.cpp), and the upgrade: the HTTP
// connection hands its socket over (http/detail/upgrade.hpp) and the 101 answer is
// written from here.
#include <nodus/loop/loop.hpp>
#include <nodus/ws/websocket.hpp>

#include "http/detail/exchange.hpp"
#include "http/detail/upgrade.hpp"
#include "ws/detail/connection.hpp"
#include "ws/detail/handshake.hpp"

#include <unistd.h>

#include <string>
#include <utility>

namespace nodus {

namespace {

// The 101 answer; `extensions` empty when permessage-deflate was not negotiated.
std::string switching_answer(std::string_view key, std::string_view protocol, std::string_view extensions) {
    std::string a =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: ";
    a += ws::detail::accept_key(key);
    if (!protocol.empty()) a.append("\r\nSec-WebSocket-Protocol: ").append(protocol);
    if (!extensions.empty()) a.append("\r\nSec-WebSocket-Extensions: ").append(extensions);
    a += "\r\nServer: nodus\r\n\r\n";
    return a;
}

} // namespace

using detail::websocket_route_state;
using detail::websocket_state;

using phase = websocket_state::phase;

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
    if (st_) st_->resume();
}
void websocket::on_message(std::function<void(std::string_view, bool)> fn) const {
    if (st_ && st_->state != phase::ended) st_->on_message = std::move(fn);
}
void websocket::on_close(std::function<void(std::uint16_t, std::string_view)> fn) const {
    if (st_ && st_->state != phase::ended) st_->on_close = std::move(fn);
}
void websocket::on_drain(std::function<void()> fn) const {
    if (st_ && st_->state != phase::ended) st_->on_drain = std::move(fn);
}
bool websocket::is_open() const noexcept { return st_ && st_->state == phase::open; }
std::size_t websocket::buffered() const noexcept {
    return st_ && st_->state != phase::handshake ? st_->buffered() : 0;
}
std::string_view websocket::protocol() const noexcept {
    if (!st_ || st_->protocol_index >= st_->route->opts.protocols.size()) return "";
    return st_->route->opts.protocols[st_->protocol_index];
}
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
    open.reserve(st_->open);
    for (auto* s : st_->conns)
        if (s->state == phase::open) open.push_back(s->shared_from_this());
    for (auto& s : open)
        if (s->enqueue(data, binary) || s->state == phase::open) ++n;
    return n;
}

std::size_t websocket_route::size() const noexcept { return st_->open; }

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
            auto& o = st->opts;
            ws::detail::deflate_config pmd;
            std::string extensions;
            if (o.permessage_deflate)
                extensions =
                    ws::detail::negotiate_deflate(req.header("Sec-WebSocket-Extensions"),
                                                  o.deflate_window_bits, o.deflate_no_context_takeover, pmd);
            auto s = std::make_shared<websocket_state>(st, io_context(), !extensions.empty());
            if (!s->sock.assign(taken.fd, taken.v6)) {
                if (taken.tls) tls::detail::free(taken.tls);
                return;
            }
            if (taken.tls) s->sock.set_tls(taken.tls);
            if (!extensions.empty()) s->pmd = std::make_unique<ws::detail::deflate_codec>(pmd);
            s->remote = std::string(req.remote_address());
            auto answer = switching_answer(req.header("Sec-WebSocket-Key"), protocol, extensions);
            auto& ours = o.protocols;
            for (std::size_t i = 0; i < ours.size() && i < websocket_state::no_protocol; ++i)
                if (ours[i] == protocol) {
                    s->protocol_index = static_cast<std::uint16_t>(i);
                    break;
                }
            s->start(std::move(answer), std::move(taken.rest), std::move(req));
        });
    };
}

} // namespace nodus
