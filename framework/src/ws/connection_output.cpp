// A WebSocket connection's sending side: frames queued in one buffer and written as the
// socket takes them, backpressure, the closing handshake, the socket's end, and the route
// timer's visits (timeouts, keep-alive pings, memory given back while idle).
#include "ws/detail/connection.hpp"

#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include "http/detail/buffer_pool.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/logger.h>

namespace nodus::detail {

namespace buffers = nodus::http::detail::buffers;
using ws::detail::opcode;
using ws::detail::tls_status;

namespace {

// A compressed message is built here before its frame header (whose length it sets) is known.
std::string& deflate_scratch() {
    static std::string s;
    return s;
}

} // namespace

bool websocket_state::enqueue(std::string_view data, bool binary) {
    if (state != phase::open) return false;
    auto& o = route->opts;
    if (buffered() + data.size() > o.max_buffered) {
        if (o.on_overflow == websocket_options::overflow::close) {
            log::get().warn("websocket {}: {} bytes queued and the peer does not read: closing", remote,
                            buffered());
            do_close(close_code::policy_violation, "send queue overflow");
        }
        return false;
    }
    auto op = binary ? opcode::binary : opcode::text;
    if (pmd) {
        auto& z = deflate_scratch();
        z.clear();
        pmd->deflate(data, z);
        queue_frame(op, z, true);
    } else {
        queue_frame(op, data);
    }
    if (!dispatching) flush();
    if (buffered() > o.high_water_mark) {
        need_drain = true;
        return false;
    }
    return true;
}

void websocket_state::queue_frame(opcode op, std::string_view payload, bool rsv1) {
    if (out.capacity() == 0) out = buffers::take_string();
    char head[10];
    out.append(head, ws::detail::write_header(head, op, payload.size(), rsv1));
    out.append(payload);
}

void websocket_state::flush() {
    if (writing || !sock.is_open()) return;
    while (out_sent < out.size()) {
        auto r = sock.write(out.data() + out_sent, out.size() - out_sent);
        if (r.status == tls_status::ok) {
            out_sent += r.n;
            continue;
        }
        if (r.status == tls_status::want_write || r.status == tls_status::want_read) {
            // Written bytes leave the buffer once they are half of it: appending stays cheap.
            if (out_sent > out.size() / 2) {
                out.erase(0, out_sent);
                out_sent = 0;
            }
            writing = true;
            sock.wait(r.status == tls_status::want_read,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                          self->writing = false;
                          self->on_writable(ec);
                      });
            return;
        }
        // The peer is gone: reported from the loop, not inside the send() that found out.
        out.clear();
        out_sent = 0;
        boost::asio::post(io_context(), [self = shared_from_this()] { self->abort(); });
        return;
    }
    out_sent = 0;
    buffers::give_string(out);
    on_flushed();
}

void websocket_state::on_writable(const boost::system::error_code& ec) {
    if (ec) {
        if (ec != boost::asio::error::operation_aborted) abort();
        return;
    }
    flush();
}

void websocket_state::on_flushed() {
    if (state == phase::handshake) return opened();
    if (need_drain && state == phase::open) {
        need_drain = false;
        if (auto fn = std::move(on_drain)) {
            on_drain = nullptr;
            guarded("on_drain", fn);
        }
    }
    // A paused connection reads no reply to its close frame: the handshake ends here.
    if (state == phase::closing && paused) end(our_code, {});
    if (close_queued && state == phase::ended) teardown();
}

void websocket_state::do_close(std::uint16_t code, std::string_view reason) {
    if (state == phase::handshake) return abort(); // nothing said yet: just go
    if (state != phase::open) return;
    state = phase::closing;
    since = route->now;
    our_code = code;
    char payload[125];
    std::size_t n = 0;
    if (code != close_code::no_status) {
        payload[0] = static_cast<char>(code >> 8);
        payload[1] = static_cast<char>(code);
        reason = reason.substr(0, 123);
        reason.copy(payload + 2, reason.size());
        n = 2 + reason.size();
    }
    queue_frame(opcode::close, std::string_view(payload, n));
    close_queued = true;
    if (!dispatching) flush();
}

// Our close frame is out and the handshake over: the server ends the TCP connection first
// (RFC 6455 §7.1.1), reading what still comes until the peer's end, because closing with
// unread bytes (the rest of a refused message) would send a reset the peer may see before
// the close frame.
void websocket_state::teardown() {
    if (tearing_down || !sock.is_open()) return;
    tearing_down = true;
    since = route->now;
    sock.shutdown_send();
    drop_input();
    pmd.reset();
    if (!reading) do_read();
}

void websocket_state::drop_input() noexcept {
    if (!in || dispatching) return;
    buffers::give_string(in->message);
    in.reset();
}

void websocket_state::abort() {
    end(close_code::abnormal, {});
    if (!registered) return;
    sock.close();
    route->remove(this);
    out.clear();
    out_sent = 0;
    buffers::give_string(out);
    drop_input();
    pmd.reset();
}

bool websocket_state::tick(std::uint32_t now) {
    auto& r = *route;
    switch (state) {
    case phase::handshake:
        if (now - since >= r.handshake_ticks) abort();
        return false;
    case phase::closing:
        if (now - since >= r.handshake_ticks) {
            end(our_code, {});
            abort();
        }
        return false;
    case phase::ended:
        if (now - since >= r.handshake_ticks) abort();
        return false;
    case phase::open: break;
    }
    if (paused) { // a paused receive does not count as silence
        last_heard = now;
        return false;
    }
    if (r.idle_ticks && now - last_heard >= r.idle_ticks) {
        log::get().debug("websocket {}: idle timeout", remote);
        abort();
        return false;
    }
    if (r.ping_ticks && !ping_sent && now - last_heard >= r.ping_ticks) {
        ping_sent = true;
        queue_frame(opcode::ping, {});
        flush();
    }
    // Between messages, with no context to keep: the zlib streams go until the next message.
    if (!pmd || !reader.idle() || buffered() != 0 || !pmd->holds_memory()) return false;
    pmd->release_idle();
    return !pmd->holds_memory();
}

bool websocket_state::holds_buffers() const noexcept {
    return in || out.capacity() > 15 ||
        (pmd && pmd->holds_memory());
}

} // namespace nodus::detail
