#pragma once
/** @file
    `nodus::response`: a copyable handle to the response half of one HTTP exchange.
*/
#include <cstddef>
#include <functional>
#include <string_view>

namespace nodus {

namespace detail { class exchange; }

/** The response of one exchange.

    Headers can be set until they are sent (by `write_head`, the first `write`, or
    `end`). `end(body)` with the whole body sends `Content-Length`; `write` without a
    known length streams with chunked coding (HTTP/1.1) or until close (HTTP/1.0).

    @par Lifetime
    The exchange lives while any handle exists. A response must be finished exactly once:
    when the last handle of an unfinished response goes away the server answers 500
    (or closes the connection if the headers were sent) and logs it. After the client
    went away every call is a no-op that returns false.
*/
class response {
public:
    response() noexcept = default;
    response(const response& other) noexcept;
    response& operator=(const response& other) noexcept;
    response(response&& other) noexcept;
    response& operator=(response&& other) noexcept;
    ~response();

    /** Set the status code (default 200). Ignored once headers are sent. */
    response& status(int code) noexcept;
    int status() const noexcept;

    /** Replace header `name` with `value`. Returns false (and changes nothing) once the
        headers were sent or when name or value contain invalid bytes. */
    bool set(std::string_view name, std::string_view value);
    /** Add another `name: value` line. Same rules as `set`. */
    bool append(std::string_view name, std::string_view value);
    /** Remove every `name` header. */
    bool remove(std::string_view name);
    /** The first value set for `name`, empty when none. */
    std::string_view get(std::string_view name) const noexcept;

    /** Send the status line and headers now. */
    bool write_head(int code = 0);
    bool headers_sent() const noexcept;

    /** Queue a body chunk. Returns false when the queued bytes reach the high-water
        mark (wait for `on_drain`) or when the response cannot be written any more
        (check `finished()` / `aborted()`). The bytes are copied. */
    bool write(std::string_view chunk);
    /** After `write` returned false: called once, when the queued bytes have been written
        to the socket. */
    void on_drain(std::function<void()> fn);

    /** Finish the response, optionally with a last piece of body. Returns false when
        it was already finished or the client went away. */
    bool end(std::string_view body = {});

    /** True once `end` was called, or once the client went away (nothing more can be sent). */
    bool finished() const noexcept;
    /** True when the connection closed before the response was fully sent. */
    bool aborted() const noexcept;
    /** Called once if the connection closes before the response was fully sent. */
    void on_close(std::function<void()> fn);
    /** Bytes queued and not yet written to the socket. */
    std::size_t buffered() const noexcept;

    explicit operator bool() const noexcept { return ex_ != nullptr; }

    /// @cond internal
    explicit response(detail::exchange* ex) noexcept;
    detail::exchange* native() const noexcept { return ex_; }
    /// @endcond
private:
    detail::exchange* ex_ = nullptr;
};

} // namespace nodus
