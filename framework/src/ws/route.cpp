// A WebSocket route's connections: the registry (broadcast, size, the graceful stop) and
// the one timer that keeps time for all of them, instead of a timer each.
#include "ws/detail/connection.hpp"

#include <nodus/loop/loop.hpp>

#include <malloc.h>

#include <algorithm>
#include <chrono>

namespace nodus::detail {

namespace {

// Every route with connections, for the graceful stop and the counters.
std::vector<std::weak_ptr<websocket_route_state>>& routes() {
    static std::vector<std::weak_ptr<websocket_route_state>> all;
    return all;
}

// Each connection is closed with 1001 so that clients reconnect (to a new worker during a
// reload) at once.
void close_every_connection() {
    for (auto& weak : routes()) {
        auto r = weak.lock();
        if (!r) continue;
        std::vector<std::shared_ptr<websocket_state>> all;
        for (auto* s : r->conns) all.push_back(s->shared_from_this());
        for (auto& s : all) s->do_close(close_code::going_away, "server stopping");
    }
}

std::uint32_t ticks(std::chrono::milliseconds span, std::chrono::milliseconds period) {
    return static_cast<std::uint32_t>((span.count() + period.count() - 1) / period.count());
}

template <class Fn>
std::size_t count_connections(Fn&& fn) {
    std::size_t n = 0;
    for (auto& weak : routes())
        if (auto r = weak.lock())
            for (auto* s : r->conns) n += fn(*s) ? 1 : 0;
    return n;
}

} // namespace

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

void websocket_route_state::add(websocket_state* s) {
    s->registry_index = static_cast<std::uint32_t>(conns.size());
    s->registered = true;
    conns.push_back(s);
    if (conns.size() == 1) arm();
}

void websocket_route_state::remove(websocket_state* s) noexcept {
    if (!s->registered) return;
    s->registered = false;
    conns[s->registry_index] = conns.back();
    conns[s->registry_index]->registry_index = s->registry_index;
    conns.pop_back();
    if (conns.empty() && timer) timer->cancel();
}

// A quarter of the shortest timeout, between 10 ms and 1 s: a timeout fires within a
// quarter of its length late, and 10,000 quiet connections cost one pass a second.
void websocket_route_state::arm() {
    using std::chrono::milliseconds;
    if (!timer) {
        auto span = opts.handshake_timeout;
        if (opts.idle_timeout.count() > 0) span = std::min(span, opts.idle_timeout);
        auto period = std::clamp(span / 4, milliseconds(10), milliseconds(1000));
        this->period = period;
        handshake_ticks = std::max<std::uint32_t>(1, ticks(opts.handshake_timeout, period));
        if (opts.idle_timeout.count() > 0) {
            idle_ticks = std::max<std::uint32_t>(2, ticks(opts.idle_timeout, period));
            if (opts.keep_alive_pings) ping_ticks = idle_ticks / 2;
        }
        timer = std::make_unique<boost::asio::steady_timer>(io_context());
    }
    timer->expires_after(period);
    timer->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->on_tick();
    });
}

void websocket_route_state::on_tick() {
    ++now;
    std::size_t freed = 0;
    // Backwards: a connection that leaves during its visit is replaced by one already seen.
    for (std::size_t i = conns.size(); i-- > 0;) {
        if (i >= conns.size()) continue;
        auto keep = conns[i]->shared_from_this();
        freed += keep->tick(now) ? 1 : 0;
    }
    // zlib's blocks are large: once many went back to the heap, give its free top back.
    if (freed >= 64) ::malloc_trim(0);
    if (!conns.empty()) arm();
}

namespace ws_stats {
std::size_t holding_buffers() noexcept {
    return count_connections([](const websocket_state& s) { return s.holds_buffers(); });
}
std::size_t connections() noexcept {
    return count_connections([](const websocket_state&) { return true; });
}
} // namespace ws_stats

} // namespace nodus::detail
