#pragma once
// The http module's internal interface to an exchange, for the modules built on http.
//
// Who may include it: http itself, router/, app/ and the middleware modules (compress/). It
// is the only http/detail header they include (route parameters, storage for decoded values, aborting after a failed
// handler); what else it needs comes from the public nodus/http headers and the shared text/
// helpers. (app/ also includes http/detail/hooks.hpp, the server's interface to the cluster
// glue.) A new need of those modules is a new declaration here, not an include of another
// http/detail header.
#include <cstdint>
#include <span>
#include <string_view>

#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>

namespace nodus::detail {

/// Most route parameters one request can carry; more are an error at route setup.
inline constexpr std::size_t max_route_params = 16;

/// Replace the request's route parameters with a copy of `p` (at most max_route_params).
/// Names and values must stay valid for the exchange (router strings, or `keep`).
void set_params(const request& r, std::span<const param> p);

/// Record the route parameters as they appear in the path, before decoding
/// (`request::raw_param`); same rules as set_params.
void set_raw_params(const request& r, std::span<const param> p);
/// Record the matched route: its pattern (router storage, lives as long as the router)
/// and its metrics id (metrics::detail::intern_route).
void set_route(const request& r, std::string_view pattern, std::uint32_t id) noexcept;

/// Record the prefix of the middleware about to run (router storage; empty for none).
void set_mount(const request& r, std::string_view prefix) noexcept;
/// The prefix of the middleware being run: the part of the path that mounted it.
std::string_view mount(const request& r) noexcept;

/// True when a body filter (e.g. compression) transforms `r`'s body.
bool has_body_filter(const response& r) noexcept;
/// True when `r`'s body may go out with `send_file`: its connection sends bytes unchanged
/// (`connection::can_sendfile`, plain TCP) and no body filter is installed.
bool can_send_file(const response& r) noexcept;
/// Answer with the head, declaring `length` bytes, then `length` bytes of `fd` from
/// `offset` sent with sendfile(2); the response ends. Takes `fd` (closed once sent, or at
/// once on failure). False when the head was sent already, the client went away, or
/// `can_send_file` is false (nothing is sent then).
bool send_file(const response& r, int fd, std::uint64_t offset, std::uint64_t length);
/// Bytes this thread's connections have sent with sendfile(2) (for tests).
std::uint64_t sendfile_bytes() noexcept;

/// Copy `bytes` into storage owned by the exchange; the view lives as long as it does.
std::string_view keep(const request& r, std::string_view bytes);

/// Read and deliver no more of the request body (the application refused it, e.g. over a
/// limit, after answering): the connection closes once the response is sent.
void refuse_body(const request& r);

/// Close the connection without a response (a handler failed after the headers went out).
void abort_connection(const response& r);

} // namespace nodus::detail
