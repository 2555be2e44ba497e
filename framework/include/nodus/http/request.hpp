#pragma once
/** @file
    `nodus::request`: a copyable handle to the request half of one HTTP exchange.
*/
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <nodus/http/detail/exchange_ptr.hpp>

namespace nodus {

/** One header field as received. Views stay valid while any handle to the exchange lives. */
struct header_field {
    std::string_view name;
    std::string_view value;
};

/** One decoded query parameter or route parameter. */
struct param {
    std::string_view name;
    std::string_view value;
};

/** The request of one exchange.

    Handles are cheap to copy (a non-atomic reference count: everything runs on the
    loop thread). Capture them by value in callbacks that outlive the handler. A handle
    is shallow: every call acts on the shared exchange, so all of them work on a `const`
    copy (no `mutable` lambda needed).

    Accessors that look something up by name return an empty view when it is absent;
    the matching `has_…` call tells an absent value from an empty one.

    @par Lifetime
    Strings returned by accessors stay valid while any `request` or `response` handle
    of the exchange exists. Body chunks passed to `on_data` are valid only until the
    callback returns.
*/
class request {
public:
    request() noexcept = default;

    /** The method token, e.g. "GET". */
    std::string_view method() const noexcept;
    /** The request-target exactly as received, e.g. "/a%20b?x=1" or, in absolute-form,
        "http://example.com/a?x=1". */
    std::string_view target() const noexcept;
    /** The target's path, without the query (not percent-decoded): "/a%20b" for both
        examples above, "/" for an absolute-form target without a path ("http://h?x").
        Routes match it. For "*" (OPTIONS) and an authority-form target (CONNECT), the
        whole target. */
    std::string_view path() const noexcept;
    /** The raw query string after '?', without the '?'; empty when there is none. */
    std::string_view query_string() const noexcept;
    /** The first value of the query parameter `name`, percent-decoded and with '+' as
        space; empty when absent. */
    std::string_view query(std::string_view name) const;
    /** True when the query has a parameter `name` (possibly with an empty value). */
    bool has_query(std::string_view name) const;
    /** Every query parameter in order, decoded. */
    std::span<const nodus::param> query_params() const;

    /** The host the request is for: the authority of an absolute-form target, which
        replaces the Host field (RFC 9112 §3.2.2: "example.com" above), else the Host
        field's value (an HTTP/1.1 request always has one; it may be empty). */
    std::string_view host() const noexcept;

    /** The first value of header `name` (case-insensitive); empty when absent. */
    std::string_view header(std::string_view name) const noexcept;
    /** True when header `name` is present. */
    bool has_header(std::string_view name) const noexcept;
    /** Every received header field, in order, repeats included. */
    std::span<const header_field> headers() const noexcept;

    /** The first value of trailer field `name` (case-insensitive) from a chunked body's
        trailer section; empty when absent. Trailer fields are kept apart from the header
        fields, never merged into them (RFC 9110 §6.5.1). Set once the body is complete:
        read them from `on_end` or the `body()` callback on. */
    std::string_view trailer(std::string_view name) const noexcept;
    /** True when the trailer section has field `name`. */
    bool has_trailer(std::string_view name) const noexcept;
    /** Every trailer field, in order, repeats included; empty until the body is complete,
        and for a body that is not chunked. */
    std::span<const header_field> trailers() const noexcept;

    /** 10 for HTTP/1.0, 11 for HTTP/1.1. */
    int version() const noexcept;
    /** The peer's IP address as text, and its port. */
    std::string_view remote_address() const noexcept;
    std::uint16_t remote_port() const noexcept;
    /** True when the request arrived over TLS on this server's HTTPS listener
        (docs/tls.md); a proxy's `X-Forwarded-Proto` is not looked at. */
    bool secure() const noexcept;

    /** The value of route parameter `name` (":name" or "*"), percent-decoded; empty when
        absent. Decoding happens after matching, so `%2F` arrives as '/' and `%2e%2e` as
        "..": never join a decoded parameter into a file path unchecked (`raw_param` tells
        an escaped slash from a real one). */
    std::string_view param(std::string_view name) const noexcept;
    /** The value of route parameter `name` exactly as it appears in the path, not decoded
        ("a%2Fb" where `param` gives "a/b"); empty when absent. */
    std::string_view raw_param(std::string_view name) const noexcept;
    /** True when the matched route has a parameter `name`. */
    bool has_param(std::string_view name) const noexcept;
    /** Every route parameter of the matched route. */
    std::span<const nodus::param> params() const noexcept;
    /** The pattern of the matched route as declared, e.g. "/users/:id"; empty when no
        route matched (yet). Metrics label requests with it: unlike the path, its values
        are bounded. */
    std::string_view route() const noexcept;

    /** The declared body length (Content-Length), if any. */
    std::optional<std::uint64_t> content_length() const noexcept;
    /** True when the request has a body to read (Content-Length > 0 or chunked). */
    bool has_body() const noexcept;

    /** Receive the body chunk by chunk. Registering starts the flow (and sends
        `100 Continue` when the client asked for it). */
    void on_data(std::function<void(std::string_view chunk)> fn) const;
    /** Called once when the whole body has arrived (at once when there is no body). */
    void on_end(std::function<void()> fn) const;
    /** Called once if the body cannot complete: the client went away, the body is
        malformed, too large or too slow. */
    void on_error(std::function<void(std::error_code)> fn) const;

    /** Stop reading the socket: no `on_data` until `resume()`. */
    void pause() const noexcept;
    /** Start or restart the body flow. */
    void resume() const;
    bool paused() const noexcept;
    /** True once the whole body was delivered. */
    bool complete() const noexcept;

    /** Collect the whole body, up to `limit` bytes, then call `fn` with it. Over the
        limit, `fn` gets `nodus::errc::body_too_large` and a 413 is answered unless the
        application already responded. */
    void body(std::size_t limit, std::function<void(std::error_code, std::string)> fn) const;

    /** True when the connection closed before the exchange finished. */
    bool aborted() const noexcept;

    explicit operator bool() const noexcept { return ex_ != nullptr; }

private:
    friend class detail::handle_access;
    explicit request(detail::exchange* ex) noexcept : ex_(ex) {}

    detail::exchange_ptr ex_;
};

} // namespace nodus
