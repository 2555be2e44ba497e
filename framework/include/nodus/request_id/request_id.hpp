#pragma once
/** @file
    `nodus::request_id`: an `X-Request-Id` on every response, taken from the request when it
    is safe, generated otherwise.
*/
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <nodus/router/router.hpp>

namespace nodus {

/** What `request_id()` does. */
struct request_id_options {
    /** The request and response header. */
    std::string header = "X-Request-Id";
    /** Take the client's (or proxy's) id when it is valid; false: always generate. */
    bool trust_incoming = true;
    /** Longest incoming id kept; longer ones are replaced. */
    std::size_t max_length = 128;
    /** Makes a new id; empty: `generate_request_id`. Its result is used as is. */
    std::function<std::string()> generate;
};

/** Whether `id` is acceptable as an incoming request id: 1 to `max_length` bytes of
    letters, digits and `-`, `_`, `.`, `:`, `+`, `=`, `/`, `@` (no spaces, quotes or
    control bytes, so it is safe in a log line and a header). */
bool valid_request_id(std::string_view id, std::size_t max_length = 128) noexcept;

/** A new id, unique within this process and across the workers of a cluster and their
    restarts: 16 hex digits drawn at random once per process (again after a `fork`), a
    '-', and a per-process counter in hex ("3f9a0c2d81b4e7a5-1c"). One counter increment
    and a few bytes of formatting per call; no system call. */
std::string generate_request_id();

/** Middleware that gives every response the request's id: the incoming header's value
    when `trust_incoming` and valid, otherwise a generated one. The id is set on the
    response before the route runs (so the access log and the application's own answers
    carry it) and can be read back with `res.get("X-Request-Id")` or `request_id_of`.
    @code
    app.use(nodus::request_id());
    @endcode */
middleware request_id(request_id_options opts = {});

/** The id `request_id()` gave this exchange; empty when the middleware did not run. */
std::string_view request_id_of(const response& res) noexcept;

} // namespace nodus
