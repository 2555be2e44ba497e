#pragma once
// One WebSocket connection after the upgrade, and the route that owns it. A connection
// reads only when its socket is readable, into a buffer of the loop's, and keeps bytes of
// its own only while a frame or message is unfinished, a queue unsent, or a receive paused:
// an idle one ("parked") is this object and one readiness wait, nothing more. Time is kept
// by the route (one timer for all its connections), not per connection.
#include <nodus/http/request.hpp>
#include <nodus/log/log.hpp>
#include <nodus/ws/websocket.hpp>

#include "ws/detail/deflate.hpp"
#include "ws/detail/frame.hpp"
#include "ws/detail/ws_socket.hpp"

#include <boost/asio/steady_timer.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nodus::detail {

struct websocket_route_state;

struct websocket_state : std::enable_shared_from_this<websocket_state> {
    /// What a connection holds between reads while a frame or message is unfinished; an idle
    /// connection has none, so it does not pay for the strings.
    struct partial_input {
        std::string carry; // read and not yet used: a partial header or control frame, or bytes held while paused
        std::string message; // a message assembled from several pieces, or inflated
        ws::detail::utf8_validator inflated_utf8; // of a compressed text message, after inflating
    };
    static constexpr std::uint16_t no_protocol = 0xffff;

    enum class phase : std::uint8_t {
        handshake, ///< the 101 answer is being written
        open,
        closing, ///< our close frame is queued or sent; the peer's is awaited
        ended, ///< reported to the application; the socket is closed or being torn down
    };

    websocket_state(std::shared_ptr<websocket_route_state> r, boost::asio::io_context& ctx, bool deflate);
    ~websocket_state();

    // connection.cpp: the handshake, reading and what arrives
    void start(std::string answer, std::string rest, nodus::request req);
    void opened();
    void do_read(); // read what is there, then wait for readability
    void on_readable(const boost::system::error_code& ec);
    void process(char* p, std::size_t n);
    std::size_t consume(char* p, std::size_t n);
    void on_data(const ws::detail::read_event& ev);
    void on_control(const ws::detail::read_event& ev);
    void deliver(std::string_view data, bool binary);
    void resume();
    partial_input& input();
    void release_input() noexcept; // when nothing is unfinished
    void drop_input() noexcept; // whatever is unfinished
    void fail(std::uint16_t code, const char* why);
    void end(std::uint16_t code, std::string_view reason);
    template <class Fn>
    void guarded(const char* what, Fn&& fn);

    // connection_output.cpp: frames out, the closing handshake
    bool enqueue(std::string_view data, bool binary);
    void queue_frame(ws::detail::opcode op, std::string_view payload, bool rsv1 = false);
    void flush();
    void on_writable(const boost::system::error_code& ec);
    void on_flushed();
    void do_close(std::uint16_t code, std::string_view reason);
    void teardown();
    void abort();
    /// The route's timer: timeouts, keep-alive pings; true when zlib memory was freed.
    bool tick(std::uint32_t now);
    bool holds_buffers() const noexcept;
    std::size_t buffered() const noexcept { return out.size() - out_sent; }

    std::shared_ptr<websocket_route_state> route;
    ws::detail::ws_socket sock;
    ws::detail::frame_reader reader;
    std::unique_ptr<ws::detail::deflate_codec> pmd;
    std::unique_ptr<partial_input> in; // only while something is unfinished
    std::string out; // frames not yet written, from out_sent on
    std::size_t out_sent = 0;
    std::string remote;
    nodus::request upgrade; // until the handshake is done
    std::function<void(std::string_view, bool)> on_message;
    std::function<void(std::uint16_t, std::string_view)> on_close;
    std::function<void()> on_drain;
    std::uint32_t registry_index = 0;
    std::uint32_t last_heard = 0; // the route's tick when bytes last arrived
    std::uint32_t since = 0; // the route's tick when the handshake or closing began
    std::uint16_t our_code = 0; // the code of our close frame
    phase state = phase::handshake;
    std::uint16_t protocol_index = no_protocol; // into the route's protocols
    bool registered = false;
    bool reading = false; // a readability wait is pending
    bool writing = false; // a writability wait is pending
    bool paused = false;
    bool dispatching = false; // inside process(): frames written go out once it returns
    bool delivering = false; // inside on_message
    bool need_drain = false;
    bool ping_sent = false;
    bool close_queued = false; // our close frame is in `out`
    bool tearing_down = false; // sending side shut: reading until the peer's end
};

struct websocket_route_state : std::enable_shared_from_this<websocket_route_state> {
    websocket_options opts;
    std::function<void(websocket, const request&)> on_open;
    std::vector<websocket_state*> conns; // every connection whose socket is open
    std::size_t open = 0; // of them, the ones past the handshake and not ended
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::chrono::milliseconds period{1000};
    std::uint32_t now = 0; // ticks of the timer so far
    std::uint32_t idle_ticks = 0, ping_ticks = 0, handshake_ticks = 0;

    void add(websocket_state* s);
    void remove(websocket_state* s) noexcept;
    void arm();
    void on_tick();
};

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

/// Keep `r` in the list the graceful stop closes (with 1001) and the counters walk.
void remember_route(const std::shared_ptr<websocket_route_state>& r);

namespace ws_stats {
/// Connections of every route that hold a buffer or zlib state now (0 when all are parked).
std::size_t holding_buffers() noexcept;
/// Connections of every route whose socket is open.
std::size_t connections() noexcept;
} // namespace ws_stats

} // namespace nodus::detail
