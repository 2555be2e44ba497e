#pragma once
/** @file
    JSON request bodies and responses with Boost.JSON (docs/json.md).
    @code
    app.post("/echo", [](nodus::request req, nodus::response res) {
        nodus::json::read(req, res, [res](boost::json::value body) {
            nodus::json::send(res, std::move(body));
        });
    });
    @endcode
    Link `nodus::nodus` (it brings `Boost::json`); include this header where JSON is used.
*/
#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace nodus::json {

/** Errors of reading a JSON body that are not Boost.JSON's (category "nodus.json"). */
enum class errc {
    /** The Content-Type is not JSON (`application/json` or `application/...+json`). */
    wrong_content_type = 1,
    /** The JSON value does not convert to the type asked for (`read_as`). */
    not_convertible,
};

const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

/** Limits and checks of `read`. Designated initializers read well at the call:
    `nodus::json::read(req, res, fn, {.max_bytes = 64 * 1024})`. */
struct read_options {
    /// The largest body read; a longer one is answered 413 (one with a larger
    /// Content-Length before a byte is read). `[http] max_body_bytes` still applies first.
    std::uint64_t max_bytes = 1024 * 1024;
    /// The deepest nesting of arrays and objects accepted; deeper is malformed (400). Values
    /// above `max_depth_limit` are taken as that limit: the parser recurses once per level.
    std::size_t max_depth = 64;
    /// Refuse (415) a request whose Content-Type is not `application/json` or
    /// `application/<something>+json` (parameters such as `charset` allowed).
    bool check_content_type = true;
};

/// The deepest `read_options::max_depth` honoured.
inline constexpr std::size_t max_depth_limit = 1000;

/** Why a body was not read as JSON (or, from `read_as`, not converted to the type asked for). */
struct read_error {
    /// The answer it calls for: 400 malformed, 413 too large, 415 wrong Content-Type, 422 not
    /// convertible to the type asked for; 0 when there is no error.
    int status = 0;
    /// What failed: a Boost.JSON error (`boost::json::error`) for malformed JSON, or
    /// `nodus::errc::body_too_large`, `nodus::errc::aborted`, ...
    std::error_code code;
    /// One sentence for the client, e.g. "malformed JSON: syntax error".
    std::string message;
    /// Malformed JSON only: where the parser stopped, as a byte offset from the start of the
    /// body (0-based) and as line:column (1-based, column in bytes). 0 otherwise.
    std::uint64_t offset = 0, line = 0, column = 0;
    /// True when the body was not read to its end: an answer should close the connection.
    bool body_unread = false;

    explicit operator bool() const noexcept { return status != 0; }
    /** The body `send_error` answers with: `{"error": message}`, plus `"offset"`, `"line"`
        and `"column"` for malformed JSON. */
    boost::json::object to_json() const;
};

/** Read the request body as JSON, parsing each chunk as it arrives (no copy of the whole
    body is kept), then call `fn` with the value.
    On error `fn` is not called: the error is answered for the application with
    `send_error` (400, 413 or 415 and a small JSON body), unless the response was already
    started; when the body fails in the server itself (the client went away, `[http]`
    limits and timeouts) the server has answered.
    @par Lifetime
    `fn` runs on the loop, after this call returned (or during it, for a body already read);
    capture handles by value. */
void read(const request& req, const response& res, std::function<void(boost::json::value)> fn,
          const read_options& opts = {});

/** Read the request body as JSON and call `fn` with the outcome: an error (`if (err)`), or
    the value. Nothing is answered for the application: call `send_error(res, err)` for the
    default answer, or answer otherwise. */
void read(const request& req, std::function<void(read_error, boost::json::value)> fn,
          const read_options& opts = {});

/** Answer `err`: its status, `Content-Type: application/json` and `err.to_json()`, with
    `Connection: close` when the body was not read to its end. Returns false (and sends
    nothing) when the response was already started or finished. */
bool send_error(const response& res, const read_error& err);

/** Answer `status` with `{"error": message}` as JSON. Same rules as the other overload. */
bool send_error(const response& res, int status, std::string_view message);

/** Send `v` as the whole response body with `Content-Type: application/json` (unless the
    application set a Content-Type) and the status set before (`res.status(201)`).
    A body that serializes to at most `single_write_bytes` is sent in one piece with a
    Content-Length; a larger one is serialized in pieces as the connection takes them
    (chunked): each piece is written when `res.write` accepts more, the rest waits for
    `on_drain`, so a slow client holds at most about `[http] high_water_mark` bytes of it in
    memory. Returns false when the response was already started or finished.
    @par Lifetime
    A large value is kept (moved) until it is sent: pass it with `std::move` when the caller
    does not need it any more. */
bool send(const response& res, boost::json::value v);

/** Convert `v` with `boost::json::value_from` (a `tag_invoke` overload for user types, see
    docs/json.md) and send it as `send(res, value)` does. */
template <class T>
requires(!std::same_as<std::remove_cvref_t<T>, boost::json::value>) bool send(const response& res,
                                                                              const T& v) {
    return send(res, boost::json::value_from(v));
}

/// Bodies up to this size are sent with a Content-Length in one piece.
inline constexpr std::size_t single_write_bytes = 64 * 1024;

namespace detail {
/// The 422 error for a conversion that threw `e`.
read_error conversion_error(const std::exception& e);
} // namespace detail

/** Read the body as JSON and convert it to `T` with `boost::json::value_to<T>` (a
    `tag_invoke` overload for user types), then call `fn` with it. Malformed JSON, a size or
    Content-Type error is answered as `read` answers it; a value that does not convert
    (a missing key, a wrong type: `value_to` throws) is answered 422 with
    `{"error": "..."}` naming what the conversion said.
    @code
    nodus::json::read_as<todo>(req, res, [res](todo t) { ... });
    @endcode */
template <class T, class Fn>
void read_as(const request& req, const response& res, Fn fn, const read_options& opts = {}) {
    read(
        req,
        [res, fn = std::move(fn)](read_error err, boost::json::value v) mutable {
            if (err) {
                send_error(res, err);
                return;
            }
            // Only the conversion's exceptions mean 422: the application's own, from `fn`,
            // are its errors (a 500 from the exchange's boundary).
            std::optional<T> t;
            try {
                t.emplace(boost::json::value_to<T>(v));
            } catch (const std::exception& e) {
                send_error(res, detail::conversion_error(e));
                return;
            }
            fn(std::move(*t));
        },
        opts);
}

} // namespace nodus::json

template <>
struct std::is_error_code_enum<nodus::json::errc> : std::true_type {};
