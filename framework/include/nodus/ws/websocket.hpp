#pragma once
/** @file
    WebSocket (RFC 6455) routes: `nodus::websocket_route` accepts upgrade requests on a
    route and gives each connection to the application as a `nodus::websocket`
    (docs/websocket.md).
*/
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nodus/http/handler.hpp>
#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>

namespace nodus {

namespace detail {
struct websocket_state;
struct websocket_route_state;
} // namespace detail

/** Close codes (RFC 6455 §7.4.1) that nodus sends or reports. */
namespace close_code {
inline constexpr std::uint16_t normal = 1000; ///< the purpose was fulfilled
inline constexpr std::uint16_t going_away = 1001; ///< the server stops (or the page left)
inline constexpr std::uint16_t protocol_error = 1002; ///< a frame broke the protocol
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005; ///< reported: the close frame had no code
inline constexpr std::uint16_t abnormal = 1006; ///< reported: the connection ended without a close frame
inline constexpr std::uint16_t invalid_payload = 1007; ///< a text message was not UTF-8
inline constexpr std::uint16_t policy_violation = 1008; ///< e.g. the send queue overflowed
inline constexpr std::uint16_t message_too_big = 1009; ///< over `max_message_bytes`
inline constexpr std::uint16_t internal_error = 1011; ///< an application callback threw
} // namespace close_code

/** What a `websocket_route` accepts and how its connections behave. */
struct websocket_options {
    /** The largest message received (all its frames together); a larger one closes the
        connection with 1009. */
    std::size_t max_message_bytes = 1024 * 1024;
    /** A connection from which nothing arrived for this long is closed (1006 is reported);
        0: never. While a receive is paused it does not count. */
    std::chrono::milliseconds idle_timeout{60000};
    /** Send a ping after half the idle timeout without traffic, so a live but quiet peer
        answers with a pong and stays connected. */
    bool keep_alive_pings = true;
    /** The opening and the closing handshake must complete within this. */
    std::chrono::milliseconds handshake_timeout{10000};
    /** `send` returns false once this many bytes wait to be sent (wait for `on_drain`). */
    std::size_t high_water_mark = 64 * 1024;
    /** The most bytes queued for one connection. A `send` beyond it is refused, and by
        default the connection is closed with 1008: a client that does not read cannot make
        the server buffer without bound. */
    std::size_t max_buffered = 4 * 1024 * 1024;
    /** What a `send` beyond `max_buffered` does: close the connection (1008), or drop the
        message (`send` returns false, the connection stays). */
    enum class overflow { close, drop } on_overflow = overflow::close;
    /** Subprotocols offered, in the server's order of preference: the first of them that
        the client lists in `Sec-WebSocket-Protocol` is chosen. Empty: none is negotiated. */
    std::vector<std::string> protocols;
    /** When set, an upgrade request whose `Origin` it refuses gets 403 (browsers send
        `Origin`; other clients may not: it is then passed as ""). */
    std::function<bool(std::string_view origin)> allow_origin;
    /** Negotiate permessage-deflate (RFC 7692) when the client offers it. Memory is bounded
        by `deflate_window_bits` (9-15) for each direction of each connection. */
    bool permessage_deflate = false;
    int deflate_window_bits = 10;
    /** Ask the client, and promise, to compress each message afresh (RFC 7692
        `server_no_context_takeover` and `client_no_context_takeover`): compression is a
        little worse, but a connection between messages keeps no zlib state, so an idle one
        costs what it costs without compression. */
    bool deflate_no_context_takeover = false;
};

/** One open WebSocket connection. A copyable handle; the connection lives until it is
    closed, whether or not a handle exists. Loop thread only. */
class websocket {
public:
    websocket() noexcept = default;

    /** Queue a text message (it must be UTF-8: the peer closes on anything else). Returns
        false when the connection is closing or closed, when the message was refused
        (`max_buffered`), or when the queue passed `high_water_mark` (the message is queued:
        wait for `on_drain` before sending more). */
    bool send(std::string_view text) const;
    /** Queue a binary message; as `send`. */
    bool send_binary(std::string_view data) const;
    /** Start the closing handshake with `code` and `reason` (at most 123 bytes). Queued
        messages are sent first. */
    void close(std::uint16_t code = close_code::normal, std::string_view reason = {}) const;

    /** Stop receiving: no `on_message` until `resume()` (the peer's sends then wait in the
        kernel's buffers, which slows it down). */
    void pause() const;
    void resume() const;

    /** Called for each message, text or binary; `data` is valid only during the call. */
    void on_message(std::function<void(std::string_view data, bool binary)> fn) const;
    /** Called once when the connection has ended, with the code the peer sent (or
        `close_code::abnormal` when it ended without a closing handshake). */
    void on_close(std::function<void(std::uint16_t code, std::string_view reason)> fn) const;
    /** After a `send` returned false because of the high-water mark: called once when the
        queue drained below it. */
    void on_drain(std::function<void()> fn) const;

    /** True from the handshake until the closing handshake starts. */
    bool is_open() const noexcept;
    /** Bytes queued and not yet written to the socket. */
    std::size_t buffered() const noexcept;
    /** The subprotocol chosen; empty when none. */
    std::string_view protocol() const noexcept;
    /** The peer's IP address as text. */
    std::string_view remote_address() const noexcept;

    explicit operator bool() const noexcept { return st_ != nullptr; }
    friend bool operator==(const websocket& a, const websocket& b) noexcept { return a.st_ == b.st_; }

private:
    friend struct detail::websocket_state;
    friend struct detail::websocket_route_state;
    explicit websocket(std::shared_ptr<detail::websocket_state> st) noexcept : st_(std::move(st)) {}

    std::shared_ptr<detail::websocket_state> st_;
};

/** A route that accepts WebSocket connections: mount its `upgrade()` handler on a GET route.
    @code
    nodus::websocket_route echo;
    echo.on_open([](nodus::websocket ws, const nodus::request&) {
        ws.on_message([ws](std::string_view data, bool binary) {
            binary ? ws.send_binary(data) : ws.send(data);
        });
    });
    app.get("/echo", echo.upgrade());
    @endcode

    The handler answers an upgrade request that is not acceptable itself: no `Upgrade:
    websocket` → 426 with `Upgrade: websocket`; a `Sec-WebSocket-Version` other than 13 →
    426 with `Sec-WebSocket-Version: 13`; a missing or malformed `Sec-WebSocket-Key`, a
    `Connection` without `upgrade`, HTTP/1.0, or a request body → 400; an `Origin` that
    `allow_origin` refuses → 403. An acceptable one gets `101 Switching Protocols` and the
    connection leaves the HTTP server: it is no longer counted, timed or drained as an
    HTTP connection. When the process begins a graceful stop, every open connection of the
    route is closed with 1001.

    @par Lifetime
    A copyable handle to the route's state; its connections keep it alive.
*/
class websocket_route {
public:
    explicit websocket_route(websocket_options opts = {});

    /** Called on the loop for each new connection once the handshake is done, with the
        upgrade request (valid during the call: copy what is needed). Install `on_message`
        and `on_close` here. An exception from it closes the connection with 1011. */
    void on_open(std::function<void(websocket ws, const request& req)> fn);

    /** The request handler to mount on a route: `app.get("/chat", chat.upgrade())`. */
    handler upgrade() const;

    /** Send `data` to every open connection of this route in this process; returns how many
        took it. */
    std::size_t broadcast(std::string_view data, bool binary = false) const;
    /** Open connections of this route in this process. */
    std::size_t size() const noexcept;

private:
    std::shared_ptr<detail::websocket_route_state> st_;
};

} // namespace nodus
