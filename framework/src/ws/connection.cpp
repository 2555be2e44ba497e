// A WebSocket connection's receiving side: the handshake's end, reads when the socket is
// readable, frames to messages, control frames, and the end reported to the application.
#include "ws/detail/connection.hpp"

#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include "http/detail/buffer_pool.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/logger.h>

#include <exception>

namespace nodus::detail {

namespace buffers = nodus::http::detail::buffers;
using ws::detail::opcode;
using ws::detail::read_event;

namespace {

// The loop's one read buffer: a connection reads into it, uses what it can at once and
// copies only the unfinished rest, so a parked connection needs no buffer of its own.
alignas(64) char read_buffer[16384];
bool read_buffer_busy = false; // a connection is using it (its callbacks run meanwhile)

} // namespace

websocket_state::websocket_state(std::shared_ptr<websocket_route_state> r, boost::asio::io_context& ctx,
                                 bool deflate)
    : route(std::move(r)), sock(ctx), reader(route->opts.max_message_bytes, deflate) {}

websocket_state::~websocket_state() {
    buffers::give_string(out);
    if (in) buffers::give_string(in->message);
}

websocket_state::partial_input& websocket_state::input() {
    if (!in) in = std::make_unique<partial_input>();
    return *in;
}

void websocket_state::release_input() noexcept {
    if (!in || dispatching || !in->carry.empty() || !in->message.empty()) return;
    buffers::give_string(in->message);
    in.reset();
}

void websocket_state::start(std::string answer, std::string rest, nodus::request req) {
    route->add(this);
    since = last_heard = route->now;
    if (!rest.empty()) input().carry = std::move(rest);
    upgrade = std::move(req);
    out = std::move(answer);
    flush();
}

void websocket_state::opened() {
    state = phase::open;
    ++route->open;
    last_heard = route->now;
    auto req = std::move(upgrade);
    if (route->on_open) guarded("on_open", [&] { route->on_open(websocket{shared_from_this()}, req); });
    // Bytes may be waiting already: sent with the upgrade request, or decrypted by OpenSSL.
    if (state == phase::open || state == phase::closing) do_read();
}

void websocket_state::do_read() {
    auto self = shared_from_this();
    if (read_buffer_busy) { // called from inside another connection's callbacks
        boost::asio::post(io_context(), [self] { self->do_read(); });
        return;
    }
    if (in && !in->carry.empty() && !tearing_down && !paused) process(nullptr, 0);
    while (!reading && sock.is_open() && (!paused || tearing_down)) {
        auto r = sock.read(read_buffer, sizeof read_buffer);
        if (r.status == ws::detail::tls_status::ok) {
            last_heard = route->now;
            ping_sent = false;
            if (tearing_down) continue; // the peer's last bytes: dropped
            process(read_buffer, r.n);
            // A short read drained the socket; the wait below is armed before the loop
            // polls again, so nothing that arrives meanwhile is missed. TLS reads one
            // record at a time: read until OpenSSL asks for the socket.
            if (r.n < sizeof read_buffer && !sock.is_tls()) break;
            continue;
        }
        if (r.status == ws::detail::tls_status::want_read || r.status == ws::detail::tls_status::want_write) {
            reading = true;
            sock.wait(r.status == ws::detail::tls_status::want_read,
                      [self](const boost::system::error_code& ec) {
                          self->reading = false;
                          self->on_readable(ec);
                      });
            return;
        }
        // The end of the stream, or an error: a clean end after a closing handshake.
        abort();
        return;
    }
    if (!reading && sock.is_open() && (!paused || tearing_down) && state != phase::handshake) {
        reading = true;
        sock.wait(true, [self](const boost::system::error_code& ec) {
            self->reading = false;
            self->on_readable(ec);
        });
    }
}

void websocket_state::on_readable(const boost::system::error_code& ec) {
    if (ec) {
        if (ec != boost::asio::error::operation_aborted) abort();
        return;
    }
    do_read();
}

void websocket_state::process(char* p, std::size_t n) {
    read_buffer_busy = true;
    dispatching = true;
    if (in && !in->carry.empty()) {
        auto& carry = in->carry;
        carry.append(p, n);
        auto used = consume(carry.data(), carry.size());
        carry.erase(0, used);
    } else {
        auto used = consume(p, n);
        if (used < n) input().carry.assign(p + used, n - used);
    }
    dispatching = false;
    read_buffer_busy = false;
    if (state == phase::ended && in) in->carry.clear();
    release_input();
    if (state == phase::ended && !delivering) on_message = nullptr;
    flush();
}

std::size_t websocket_state::consume(char* p, std::size_t n) {
    std::size_t at = 0;
    read_event ev;
    while ((state == phase::open || state == phase::closing) && !paused) {
        at += reader.next(p + at, n - at, ev);
        switch (ev.kind) {
        case read_event::need_more: return at;
        case read_event::data: on_data(ev); break;
        case read_event::control: on_control(ev); break;
        case read_event::error: fail(ev.code, ev.why); return n;
        }
    }
    return at;
}

void websocket_state::on_data(const read_event& ev) {
    if (state != phase::open) return; // after our close frame: dropped
    bool binary = ev.op == opcode::binary;
    if (ev.compressed) {
        auto& message = input().message;
        auto& inflated_utf8 = in->inflated_utf8;
        if (message.capacity() == 0) message = buffers::take_string();
        auto before = message.size();
        if (auto code = pmd->inflate(ev.bytes, ev.fin, message, route->opts.max_message_bytes))
            return fail(code, code == 1009 ? "message too big" : "bad compressed data");
        if (!binary && !inflated_utf8.feed(message.data() + before, message.size() - before))
            return fail(close_code::invalid_payload, "text is not UTF-8");
        if (!ev.fin) return;
        inflated_utf8.reset();
        if (!binary && !inflated_utf8.complete())
            return fail(close_code::invalid_payload, "text is not UTF-8");
        deliver(message, binary);
        buffers::give_string(message);
        return;
    }
    if (ev.first && ev.fin) return deliver(ev.bytes, binary); // whole in the buffer: no copy
    auto& message = input().message;
    if (message.capacity() == 0) message = buffers::take_string();
    message.append(ev.bytes);
    if (!ev.fin) return;
    deliver(message, binary);
    buffers::give_string(message);
}

void websocket_state::deliver(std::string_view data, bool binary) {
    if (!on_message) return;
    delivering = true;
    guarded("on_message", [&] { on_message(data, binary); });
    delivering = false;
}

void websocket_state::on_control(const read_event& ev) {
    if (ev.op == opcode::ping) {
        if (state == phase::open) queue_frame(opcode::pong, ev.bytes);
        return;
    }
    if (ev.op != opcode::close) return; // a pong: its arrival already counted as traffic
    if (state == phase::open) { // the peer begins the closing handshake: answer with its code
        char code[2] = {static_cast<char>(ev.code >> 8), static_cast<char>(ev.code)};
        queue_frame(opcode::close,
                    ev.code == close_code::no_status ? std::string_view{} : std::string_view(code, 2));
        close_queued = true;
    }
    end(ev.code, ev.reason);
}

void websocket_state::resume() {
    if (!paused) return;
    paused = false;
    if (state != phase::open && state != phase::closing) return;
    // Never inside the caller's callback: the bytes held meanwhile are delivered from the loop.
    boost::asio::post(io_context(), [self = shared_from_this()] {
        if (!self->paused) self->do_read();
    });
}

void websocket_state::fail(std::uint16_t code, const char* why) {
    if (state == phase::ended) return;
    log::get().debug("websocket {}: closing with {}: {}", remote, code, why);
    if (!close_queued && state != phase::handshake) {
        char payload[2] = {static_cast<char>(code >> 8), static_cast<char>(code)};
        queue_frame(opcode::close, std::string_view(payload, 2));
        close_queued = true;
    }
    end(code, {});
}

void websocket_state::end(std::uint16_t code, std::string_view reason) {
    if (state == phase::ended) return;
    bool was_open = state == phase::open || state == phase::closing;
    state = phase::ended;
    since = route->now;
    if (was_open) --route->open;
    upgrade = {};
    auto fn = std::move(on_close);
    on_close = nullptr;
    on_drain = nullptr;
    if (!delivering) on_message = nullptr; // else once it returns: it is running
    std::string why(reason);
    if (fn) guarded("on_close", [&] { fn(code, why); });
}

} // namespace nodus::detail
