#pragma once
/** @file
    `nodus::client`: HTTP/1.1 and HTTPS requests from the loop (Node's `http.request` with a
    keep-alive `Agent`).

    A request is opened with `client::open(options, on_response)`. Its head goes out as soon
    as a connection is ready; the body is streamed with `write` (false past the high-water
    mark: wait for `on_drain`) and finished with `end`. The response callback runs once the
    status line and header fields have arrived; its body then comes chunk by chunk through
    `response::on_data`, with `pause`/`resume`, and `on_end` (trailers readable from then on).
    The calls mirror `nodus::request` and `nodus::response`, so a server exchange can be
    piped into a client request and back without buffering whole bodies:

    @code
    app.all("/api/:rest", [](nodus::request req, nodus::response res) {
        nodus::client::options o;
        o.url = "http://127.0.0.1:9000" + std::string(req.target());
        o.method = req.method();
        auto up = nodus::client::open(o, res.guard([res](nodus::client::response r) {
            res.status(r.status());
            r.on_data([res, r](std::string_view c) { if (!res.write(c)) { r.pause(); res.on_drain([r] { r.resume(); }); } });
            r.on_end([res] { res.end(); });
        }));
        up.on_error(res.guard([res](const nodus::client::error& e) { res.status(502).end(e.message()); }));
        req.on_data([up, req](std::string_view c) { if (!up.write(c)) { req.pause(); up.on_drain([req] { req.resume(); }); } });
        req.on_end([up] { up.end(); });
        res.on_close([up] { up.abort(); });
    });
    @endcode

    Connections are pooled per origin (scheme, host, port) by an `agent`; a connection is
    reused only when the previous response was read to its end, was HTTP/1.1 (or 1.0 with
    keep-alive) and did not say `Connection: close`. A pooled connection that the server
    closed while idle is detected when taken, and an idempotent request whose reused
    connection fails before any byte of a response is retried once on a new connection.

    Every failure — a name that does not resolve, a refused connection, a timeout, a
    certificate that does not verify, a malformed response, a connection closed mid-body —
    is reported through the `on_error` callback with a `client::error`; nothing is thrown
    on the loop. An exception thrown by a callback of the application is caught and logged
    (the request is aborted); wrap callbacks that serve a server exchange in `res.guard` so
    the exception answers that exchange instead.

    All calls are made on the loop thread.
*/
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <nodus/http/request.hpp>

namespace nodus::client {

namespace detail {
class exchange;
class agent_state;
} // namespace detail

/** Why a request failed (category "nodus.client"). */
enum class errc {
    /** The URL or options cannot make a request: an unknown scheme, no host, a method,
        target or header field with bytes that cannot be sent. */
    bad_request = 1,
    /** The host name did not resolve (DNS failure, e.g. a name under `.invalid`). */
    dns_failure,
    /** Every address of the host refused the connection (`ECONNREFUSED`). */
    connect_refused,
    /** The connection could not be made for another reason (unreachable network...). */
    connect_failed,
    /** No connection was made within `options::connect_timeout` (resolving included). */
    connect_timeout,
    /** The TLS handshake failed: the certificate did not verify, the name did not match,
        or the peer does not speak TLS. */
    tls_failed,
    /** The response's status line and header fields did not arrive within
        `options::header_timeout` of the request's head being sent. */
    header_timeout,
    /** While the response body was read (or the request body written), nothing moved for
        `options::idle_timeout`. */
    idle_timeout,
    /** The response broke HTTP/1.1's syntax or framing; `error::reason` says how. The
        connection is closed. */
    bad_response,
    /** The connection closed (or was reset) before the response was complete: before its
        head, or mid-body (fewer bytes than `Content-Length`, no last chunk). */
    closed,
    /** The body exceeded the limit given to `response::body` or `get`/`post`. */
    body_too_large,
    /** More redirects than `options::max_redirects`. */
    too_many_redirects,
    /** The request was still waiting for a connection when its agent was closed. */
    cancelled,
};

/** The category of `client::errc` ("nodus.client"). */
const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

/** A failure: the code (a `client::errc`) and a reason for people, e.g.
    `bad response: Content-Length with Transfer-Encoding`. */
struct error {
    std::error_code code;
    std::string reason;

    explicit operator bool() const noexcept { return static_cast<bool>(code); }
    /** The reason, or the code's message when there is none. */
    std::string message() const;
};

/** TLS for `https://` origins. */
struct tls_options {
    /** Verify the server's certificate chain and its name (on by default). Turning it off
        accepts any certificate: only for tests and private networks. */
    bool verify = true;
    /** A PEM file of trusted CA certificates; empty: the system's store
        (`SSL_CTX_set_default_verify_paths`). */
    std::string ca_file;
};

/** How an `agent` pools connections. */
struct agent_options {
    /** Connections open at once per origin; further requests wait in order in a queue. */
    std::size_t max_sockets = 64;
    /** Idle connections kept per origin; a connection freed past it is closed. */
    std::size_t max_idle = 16;
    /** An idle connection is closed after this long unused. */
    std::chrono::milliseconds idle_timeout{4000};
    /** Reuse connections at all (false: `Connection: close` on every request). */
    bool keep_alive = true;
    tls_options tls;
};

/** Counters of an agent, for tests and metrics. */
struct agent_stats {
    std::uint64_t connections_opened = 0; ///< TCP connections made, ever
    std::uint64_t requests = 0; ///< requests given a connection, ever
    std::uint64_t reused = 0; ///< of those, on a pooled connection
    std::uint64_t retried = 0; ///< stale pooled connections retried on a new one
    std::size_t active = 0; ///< connections carrying a request now
    std::size_t idle = 0; ///< pooled connections now
    std::size_t queued = 0; ///< requests waiting for a connection now
};

/** A pool of connections per origin (Node's `http.Agent` with `keepAlive`). A copyable
    handle; copies name the same pool.

    @par Lifetime
    The pool lives while a handle or a request using it exists. Idle pooled connections do
    not keep the loop running: `nodus::run()` may return with connections in the pool. */
class agent {
public:
    explicit agent(agent_options options = {});

    /** Close the idle connections now. */
    void close_idle() const;
    /** Close the idle connections and fail the queued requests with `errc::cancelled`;
        requests on a connection finish, and their connections are closed after. */
    void close() const;
    agent_stats stats() const noexcept;
    const agent_options& options() const noexcept;

private:
    friend class detail::exchange;
    std::shared_ptr<detail::agent_state> state_;
};

/** The process's agent, used when `options::agent` is empty. */
agent default_agent();

/** What to request. Either `url`, or `host` + `port` + `target` (+ `https`). */
struct options {
    /** `http://host[:port]/path?query` or `https://...`; when set, it gives the scheme,
        host, port and target (parsed with Boost.URL; user info is refused). */
    std::string url;
    std::string host;
    std::uint16_t port = 0; ///< 0: 80, or 443 with `https`
    std::string target = "/";
    bool https = false;

    std::string method = "GET";
    /** Fields to send, in order. `Host` is added unless given; `Content-Length` or
        `Transfer-Encoding: chunked` is added from `content_length` unless given;
        `Connection`, `Keep-Alive`, `TE`, `Upgrade` and `Proxy-Connection` are the agent's
        business and are refused here (`errc::bad_request`). */
    std::vector<std::pair<std::string, std::string>> headers;
    /** The body's length when known in advance: sent as `Content-Length`, and `write` must
        then give exactly that many bytes. Unset: a body given whole before the connection is
        ready (`end(body)` at once) is sent with `Content-Length`, one written in parts goes
        chunked, and a request without a body declares none (or `Content-Length: 0` for
        POST, PUT and PATCH). */
    std::optional<std::uint64_t> content_length;

    /** Resolving and connecting (and the TLS handshake); 0: no limit. */
    std::chrono::milliseconds connect_timeout{10000};
    /** From the request's last byte sent to the response head received; 0: no limit. */
    std::chrono::milliseconds header_timeout{30000};
    /** Longest wait for the next byte of the response body, or for the socket to take more
        of the request body; 0: no limit. */
    std::chrono::milliseconds idle_timeout{30000};

    /** Follow this many redirects (301, 302, 303, 307, 308); 0 (the default): hand
        redirects to the callback as any response. A 303 — and a 301/302 to a POST —
        becomes a GET without a body; the others keep the method and require the body to
        have been given to `end` whole (a streamed body is not replayed: the 3xx is
        delivered). */
    int max_redirects = 0;
    /** Send `Expect: 100-continue` and hold the body until the server's `100 Continue`
        (or a final response, which then is the answer and the body is not sent). */
    bool expect_continue = false;
    /** Retry once, on a new connection, an idempotent request (GET, HEAD, OPTIONS, PUT,
        DELETE, TRACE) whose pooled connection failed before any byte of a response. */
    bool retry_stale = true;
    /** Request body bytes queued before `write` returns false. */
    std::size_t high_water_mark = 64 * 1024;
    /** The pool to use; empty: `default_agent()`. */
    std::optional<client::agent> agent;
};

/** The response of one request: status, header fields, then the body as a stream.

    A copyable handle; copies name the same response. The body starts flowing when the
    response callback returns: to consume it, register `on_data` there (chunks that arrive
    with no `on_data` registered are dropped, so a caller that wants only the status still
    frees the connection); `pause()` there to hold it.

    @par Lifetime
    Views (status reason, header fields) stay valid while a handle exists. A chunk passed to
    `on_data` is valid until the callback returns. */
class response {
public:
    response() noexcept = default;

    int status() const noexcept;
    std::string_view reason() const noexcept;
    /** 10 for HTTP/1.0, 11 for HTTP/1.1. */
    int version() const noexcept;

    /** The first value of header `name` (case-insensitive); empty when absent. */
    std::string_view header(std::string_view name) const noexcept;
    bool has_header(std::string_view name) const noexcept;
    /** Every header field, in order, repeats included. */
    std::span<const nodus::header_field> headers() const noexcept;
    /** `Content-Length`, if the response has one. */
    std::optional<std::uint64_t> content_length() const noexcept;

    /** Trailer fields of a chunked body; empty until `on_end`. */
    std::string_view trailer(std::string_view name) const noexcept;
    std::span<const nodus::header_field> trailers() const noexcept;

    /** Receive the body chunk by chunk. */
    void on_data(std::function<void(std::string_view chunk)> fn) const;
    /** Called once when the whole body has arrived (at once for a response without one:
        to HEAD, 1xx, 204, 304). */
    void on_end(std::function<void()> fn) const;
    /** Called once if the body cannot complete (the same callback as `request::on_error`:
        one per exchange, the last one set wins). */
    void on_error(std::function<void(const error&)> fn) const;

    /** Stop reading the socket: no `on_data` until `resume()`. */
    void pause() const noexcept;
    void resume() const;
    bool paused() const noexcept;
    /** True once the whole body was delivered. */
    bool complete() const noexcept;

    /** Collect the whole body, up to `limit` bytes, then call `fn` with it (and an empty
        error), or with `errc::body_too_large` (the request is aborted) or the failure. */
    void body(std::size_t limit, std::function<void(const error&, std::string)> fn) const;

    explicit operator bool() const noexcept { return ex_ != nullptr; }

private:
    friend class detail::exchange;
    explicit response(std::shared_ptr<detail::exchange> ex) noexcept : ex_(std::move(ex)) {}
    std::shared_ptr<detail::exchange> ex_;
};

/** An outgoing request (Node's `ClientRequest`). A copyable handle; copies name the same
    request.

    @par Lifetime
    The request lives until it completed (response body read to its end, or failed, or
    aborted), whether or not handles remain; dropping every handle does not cancel it. */
class request {
public:
    request() noexcept = default;

    /** Queue a piece of the body (copied). Returns false when the queued bytes reach the
        high-water mark (wait for `on_drain`) or when the request cannot take more (ended,
        failed, aborted, or more than `content_length`). */
    bool write(std::string_view chunk) const;
    /** After `write` returned false: called once, when the queued bytes went to the socket. */
    void on_drain(std::function<void()> fn) const;
    /** Finish the body, optionally with a last piece. Returns false when already ended. */
    bool end(std::string_view last = {}) const;
    /** Body bytes queued and not yet written to the socket. */
    std::size_t buffered() const noexcept;

    /** Cancel the request: close its connection (or leave the queue) now. No callback runs
        after it. Safe at any time, also after completion. */
    void abort() const noexcept;
    bool aborted() const noexcept;
    /** True once the response completed, failed or was aborted. */
    bool finished() const noexcept;

    /** Called once with the failure (see `errc`); at most one of it and a completed
        response's `on_end` runs. */
    void on_error(std::function<void(const error&)> fn) const;
    /** With `expect_continue`: called when the server's `100 Continue` arrived. */
    void on_continue(std::function<void()> fn) const;

    explicit operator bool() const noexcept { return ex_ != nullptr; }

private:
    friend class detail::exchange;
    explicit request(std::shared_ptr<detail::exchange> ex) noexcept : ex_(std::move(ex)) {}
    std::shared_ptr<detail::exchange> ex_;
};

/** Start a request. `on_response` runs once, when the response head arrives (after
    following redirects, when asked to). A failure — also a bad URL — is reported later,
    on the loop, to `on_error`: register it on the returned request at once. */
request open(options opts, std::function<void(response)> on_response);

/** A whole response, for `get`/`post`. */
struct result {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /** The first value of header `name` (case-insensitive); empty when absent. */
    std::string_view header(std::string_view name) const noexcept;
};

/** Bodies larger than this fail `get`/`post` with `errc::body_too_large`. */
inline constexpr std::size_t default_max_body = 8 * 1024 * 1024;

/** GET `opts` (its method is set to GET) and collect the body, up to `max_body` bytes.
    `done(err, result)` runs once; `result` is empty on error. */
void get(options opts, std::function<void(const error&, result)> done,
         std::size_t max_body = default_max_body);
inline void get(std::string url, std::function<void(const error&, result)> done) {
    options o;
    o.url = std::move(url);
    get(std::move(o), std::move(done));
}

/** POST `body` with `Content-Type: content_type` and collect the response body. */
void post(options opts, std::string body, std::string content_type,
          std::function<void(const error&, result)> done, std::size_t max_body = default_max_body);

/* JSON bodies: <nodus/client/json.hpp>. */

} // namespace nodus::client

template <>
struct std::is_error_code_enum<nodus::client::errc> : std::true_type {};
