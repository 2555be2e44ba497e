#pragma once
// Framework-internal access to an exchange, for the router and the app.
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

/// Copy `bytes` into storage owned by the exchange; the view lives as long as it does.
std::string_view keep(const request& r, std::string_view bytes);

/// Close the connection without a response (a handler failed after the headers went out).
void abort_connection(const response& r);

} // namespace nodus::detail
