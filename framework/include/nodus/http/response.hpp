#pragma once
/** @file
    `nodus::response`: a copyable handle to the response half of one HTTP exchange.
*/
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include <nodus/http/detail/exchange_ptr.hpp>

namespace nodus {

class body_filter;

/** How an exchange ended, for `response::on_finish`. */
struct finish_info {
    /** The status sent; 499 when the connection closed before any head went out. */
    int status = 0;
    /** Body bytes handed to the connection (after any body filter, e.g. compressed). */
    std::uint64_t bytes = 0;
    /** From the end of the request head (or, when the access log is off, from the first
        `on_finish` call) to the end of the exchange. */
    std::chrono::nanoseconds duration{0};
    /** The connection closed before the response was completely sent. */
    bool aborted = false;
};

namespace detail {
// One object per type: its address is the key of a response's local of that type.
template <class T>
inline constexpr char local_key = 0;
} // namespace detail

/** The response of one exchange.

    Headers can be set until they are sent (by `write_head`, the first `write`, or
    `end`). `end(body)` with the whole body sends `Content-Length`; `write` without a
    known length streams with chunked coding (HTTP/1.1) or until close (HTTP/1.0).

    @par Lifetime
    The exchange lives while any handle exists. A response must be finished exactly once:
    when the last handle of an unfinished response goes away the server answers 500
    (or closes the connection if the headers were sent) and logs it. After the client
    went away every call is a no-op that returns false. A handle is shallow: every call
    acts on the shared exchange, so all of them work on a `const` copy.
*/
class response {
public:
    response() noexcept = default;

    /** Set the status code (default 200). Ignored once headers are sent. */
    const response& status(int code) const noexcept;
    int status() const noexcept;

    /** Replace header `name` with `value`. Returns false (and changes nothing) once the
        headers were sent or when name or value contain invalid bytes. */
    bool set(std::string_view name, std::string_view value) const;
    /** Add another `name: value` line. Same rules as `set`. */
    bool append(std::string_view name, std::string_view value) const;
    /** `set(name, value)`, and keep the field on every answer of this exchange, also the
        ones the framework writes itself (a 500 after an exception, a 413 for a body over
        the limit...), which otherwise replace the application's headers. For fields that
        describe the exchange rather than the body: `X-Request-Id`, CORS fields, `Vary`. */
    bool set_sticky(std::string_view name, std::string_view value) const;
    /** Remove every `name` header. */
    bool remove(std::string_view name) const;
    /** The first value set for `name` (case-insensitive), empty when none. */
    std::string_view get(std::string_view name) const noexcept;

    /** Send the status line and headers now. */
    bool write_head(int code = 0) const;
    bool headers_sent() const noexcept;

    /** Queue a body chunk. Returns false when the queued bytes reach the high-water
        mark (wait for `on_drain`) or when the response cannot be written any more
        (check `finished()` / `aborted()`). The bytes are copied. */
    bool write(std::string_view chunk) const;
    /** After `write` returned false: called once, when the queued bytes have been written
        to the socket. */
    void on_drain(std::function<void()> fn) const;

    /** Finish the response, optionally with a last piece of body. Returns false when
        it was already finished or the client went away. */
    bool end(std::string_view body = {}) const;

    /** True once `end` was called, or once the client went away (nothing more can be sent). */
    bool finished() const noexcept;
    /** True when the connection closed before the response was fully sent. */
    bool aborted() const noexcept;
    /** Called once if the connection closes before the response was fully sent. */
    void on_close(std::function<void()> fn) const;
    /** Treat the client half-closing its connection (a FIN: it will send nothing more)
        before this response is complete as the client going away: the connection closes at
        once, `on_close` runs and the exchange is logged as 499, as Node.js's server and
        nginx's proxy do. By default nodus goes on answering a half-closed connection, which
        HTTP allows; a handler that keeps costly work going for its client (a proxied
        request, a long computation) opts in so that the work stops when the client leaves. */
    void abort_on_half_close() const noexcept;
    /** Bytes queued and not yet written to the socket. */
    std::size_t buffered() const noexcept;

    /** Wrap `fn`, a callback the application starts for this exchange (a timer, a
        `queue_work` completion, a client's callback), in the exchange's error boundary:
        an exception escaping the returned callable is handled by `fail`, not thrown into
        the loop. The callable takes the arguments `fn` takes and returns nothing; it holds
        a copy of this handle (so it keeps the exchange alive while it exists).

        Callbacks nodus itself runs for the exchange (the handler, `on_data`, `on_end`,
        `on_error`, `body()`'s callback, `on_drain`, `on_close`) are covered without it.

        @code
        nodus::set_timeout(100ms, res.guard([res] { res.end(render()); }));
        @endcode */
    template <class Fn>
    auto guard(Fn fn) const {
        return [res = *this, fn = std::move(fn)](auto&&... args) mutable {
            try {
                fn(std::forward<decltype(args)>(args)...);
            } catch (...) {
                res.fail(std::current_exception());
            }
        };
    }

    /** Handle `e` as an exception escaping a callback of this exchange: log it and answer
        500 (`Connection: close`), or close the connection when the headers were already
        sent; the request body is not read any further. After the exchange finished or
        the client went away, it is only logged. */
    void fail(std::exception_ptr e) const noexcept;

    /** Call `fn` once when the exchange ends: after its response was completely handed to
        the socket, or when the connection closed first (`aborted`), also for handlers that
        answer later. Several calls register several callbacks, run in the order registered.
        An exception from `fn` is logged. Ignored on an empty handle or an exchange that has
        already ended.
        @code
        res.on_finish([](const nodus::finish_info& f) { record(f.status, f.duration); });
        @endcode */
    void on_finish(std::function<void(const finish_info&)> fn) const;

    /** A value of type `T` kept with this exchange (Express's `res.locals`), created
        (value-initialised) on first use; one per type, so define a type for each thing to
        keep. Storage is allocated only when a local is used.
        @throws std::logic_error on an empty handle.
        @par Lifetime
        Lives until the exchange is recycled (after every handle is gone). Do not store
        request or response handles in a local: that keeps the exchange alive forever.
        @code
        struct user { std::string name; };
        res.local<user>().name = "ada";
        @endcode */
    template <class T>
    T& local() const {
        return *static_cast<T*>(local_slot(
            &detail::local_key<T>, [] { return static_cast<void*>(new T()); },
            [](void* p) { delete static_cast<T*>(p); }));
    }
    /** The local of type `T` if one was created, else null. */
    template <class T>
    T* find_local() const noexcept {
        return static_cast<T*>(find_local_slot(&detail::local_key<T>));
    }

    /** Install `f` to transform the body written from now on (see `body_filter`). Returns
        false (and drops `f`) once the head was sent, when a filter is installed already, or
        after the client went away. */
    bool set_body_filter(std::unique_ptr<body_filter> f) const;

    explicit operator bool() const noexcept { return ex_ != nullptr; }

private:
    friend class detail::handle_access;
    friend class body_sink;
    explicit response(detail::exchange* ex) noexcept : ex_(ex) {}

    void* local_slot(const void* key, void* (*make)(), void (*destroy)(void*)) const;
    void* find_local_slot(const void* key) const noexcept;
    bool write_through(std::string_view chunk, bool last) const;

    detail::exchange_ptr ex_;
};

} // namespace nodus
