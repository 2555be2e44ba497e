#pragma once
/** @file
    `nodus::event_stream`: Server-Sent Events (`text/event-stream`, the HTML standard's
    EventSource protocol) over one response.
*/
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>

namespace nodus {

namespace detail {
struct event_stream_state;
}

/** One event. Only `data` is required; an empty field is left out of the event. */
struct sse_event {
    /** The payload. Line breaks (CRLF, LF or CR) split it into several `data:` lines, which
        the browser joins with LF again. */
    std::string_view data;
    /** The event type (`addEventListener(type, …)`); empty: "message". */
    std::string_view event;
    /** The event id: the browser sends it back as `Last-Event-ID` when it reconnects. */
    std::string_view id;
    /** How long the browser waits before reconnecting; 0: not sent. */
    std::chrono::milliseconds retry{0};
};

struct event_stream_options {
    /** A comment line is sent after this long without an event, so that proxies and load
        balancers do not close an idle stream; 0: never. */
    std::chrono::milliseconds keep_alive{15000};
    /** Sent once at the start as `retry:`; 0: not sent (the browser's default applies). */
    std::chrono::milliseconds retry{0};
};

/** A stream of events on one response (the HTML standard, "Server-sent events").

    Constructing it sends the head at once: `200`, `Content-Type: text/event-stream`,
    `Cache-Control: no-cache`, and the response stays open. Each `send` writes one event
    and sends it at once. The stream ends when the client goes away (`on_close`), when the
    application calls `end()`, and when the process begins a graceful stop (the browser
    then reconnects, to another worker during a reload).
    @code
    app.get("/events", [](nodus::request req, nodus::response res) {
        nodus::event_stream events{req, res};
        events.send({.data = "hello", .id = "1"});
    });
    @endcode

    @par Lifetime
    A copyable handle; the stream lives while the response is open, whether or not a handle
    exists. Call it from the loop thread.
*/
class event_stream {
public:
    /** An empty handle: every call is a no-op that returns false. */
    event_stream() noexcept = default;
    /** Start the stream on `res` (headers not yet sent). Headers the application set
        before are kept. @throws std::logic_error when the headers were already sent. */
    event_stream(const request& req, const response& res, event_stream_options opts = {});

    /** The `Last-Event-ID` the browser sent when it reconnected; empty on a first connection. */
    std::string_view last_event_id() const noexcept;

    /** Send one event. Returns false when it could not be queued because the stream is
        closed, or when the queued bytes passed the response's high-water mark (the event is
        queued then: wait for `on_drain` before sending more).
        @throws std::invalid_argument when `event` or `id` contains a line break (CR or LF),
        or `id` a NUL byte: such an event would be read as another. */
    bool send(const sse_event& e) const;
    /** `send({.data = data})`. */
    bool send(std::string_view data) const;
    /** A comment line (`: text`), ignored by the browser. Line breaks in `text` start new
        comment lines. */
    bool comment(std::string_view text) const;

    /** After `send` returned false with the stream open: called once when the queue drained. */
    void on_drain(std::function<void()> fn) const;
    /** Called once when the stream ends, whatever ended it. */
    void on_close(std::function<void()> fn) const;
    /** True once the stream ended. */
    bool closed() const noexcept;
    /** End the stream (the response), as the server would at a graceful stop. */
    void end() const;

    explicit operator bool() const noexcept { return st_ != nullptr; }

private:
    std::shared_ptr<detail::event_stream_state> st_;
};

} // namespace nodus
