#pragma once
/** @file
    `nodus::proxy`: forward requests to an upstream HTTP server (a reverse proxy, nginx's
    `proxy_pass`), and the header rules a proxy follows, for programs that forward by hand.
    docs/gateway.md walks through a gateway built on it.
*/
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nodus/client/client.hpp>
#include <nodus/http/request.hpp>
#include <nodus/router/router.hpp>

namespace nodus::proxy {

/** Where and how `forward` sends requests. */
struct options {
    /** The upstream's origin: `http://HOST[:PORT]` or `https://HOST[:PORT]`, with no path
        (a single "/" is allowed), query, fragment or user info. */
    std::string upstream;
    /** Removed from the front of the path before forwarding when the path starts with it
        (`strip = "/api"`: `/api/users?x=1` goes out as `/users?x=1`, `/api` as `/`); a
        trailing '/' in it is ignored. Empty (the default): the path goes out as received,
        as with nginx's `proxy_pass` without a URI. */
    std::string strip;
    /** `Host` sent upstream: the client's own (true, as nginx's
        `proxy_set_header Host $http_host`), or the upstream's authority (false, nginx's
        default). A request without a `Host` value gets the upstream's. */
    bool preserve_host = true;
    /** Connecting, waiting for the response head, and the longest pause of either body
        (no byte moved); 0: no limit. Before the response head has been sent on: 504; after:
        the client's connection is cut. */
    std::chrono::milliseconds timeout{60000};
    /** The connections to the upstream; empty: a pool of the middleware's own, with
        `client::agent_options{}`. */
    std::optional<client::agent> agent;
};

/** Middleware that forwards every request reaching it to `opts.upstream` and never calls
    `next`: method, path and query (not decoded, not normalised), header fields less the
    hop-by-hop ones (`is_connection_specific`) and `Expect`, plus `X-Forwarded-For`
    (appended to), `X-Forwarded-Proto` and `X-Forwarded-Host` (replaced), and the body, piped
    chunk by chunk with backpressure (`Content-Length` kept; a chunked body goes chunked, or
    with its length when it was complete before the request left).
    The upstream's status, fields (less its hop-by-hop ones) and body come back the same way.

    Failures: the upstream refuses or cannot be reached, or answers something that is not
    HTTP/1.1 -> 502; a timeout before the response head (`opts.timeout`) -> 504; a failure
    after the head went out (the upstream closed mid-body, or went quiet) -> the client's
    connection is cut, never a clean short body. A client that goes away aborts the
    upstream request (its connection is closed, not returned to the pool).
    @code
    app.use("/api", nodus::proxy::forward({.upstream = "http://127.0.0.1:9000"}));
    @endcode
    @throws std::invalid_argument naming what is wrong when `opts.upstream` is not an
    origin as described above.
    @par Lifetime
    The middleware holds its pool: pooled connections live while a copy of it (or of the
    agent given) exists. */
middleware forward(options opts);

/** True when `name` is a hop-by-hop field that a proxy never forwards (RFC 9110 §7.6.1):
    `Connection`, `Keep-Alive`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`,
    `Proxy-Connection` and every other `Proxy-*` field (case-insensitive). */
bool is_hop_by_hop(std::string_view name) noexcept;

/** True when `name` is hop-by-hop (`is_hop_by_hop`) or named by a `Connection` field among
    `fields` (`Connection: close, X-Private` makes `X-Private` connection-specific). */
bool is_connection_specific(std::string_view name, std::span<const header_field> fields) noexcept;

/** The `X-Forwarded-For` value to send for `req`: the values of its own `X-Forwarded-For`
    fields, in order, joined with ", ", then its peer's address (nginx's
    `$proxy_add_x_forwarded_for`). */
std::string forwarded_for(const request& req);

} // namespace nodus::proxy
