#pragma once
// The http module's internal interface to an exchange, for the modules built on http.
//
// Who may include it: http itself, router/ and app/. It is the only http/detail header the
// router includes (route parameters, storage for decoded values, aborting after a failed
// handler); what else it needs comes from the public nodus/http headers and the shared text/
// helpers. (app/ also includes http/detail/hooks.hpp, the server's interface to the cluster
// glue.) A new need of those modules is a new declaration here, not an include of another
// http/detail header.
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

/// Record the matched route: its pattern (router storage, lives as long as the router)
/// and its metrics id (metrics::detail::intern_route).
void set_route(const request& r, std::string_view pattern, std::uint32_t id) noexcept;

/// Copy `bytes` into storage owned by the exchange; the view lives as long as it does.
std::string_view keep(const request& r, std::string_view bytes);

/// Close the connection without a response (a handler failed after the headers went out).
void abort_connection(const response& r);

} // namespace nodus::detail
