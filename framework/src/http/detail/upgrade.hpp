#pragma once
// Handing a connection over to another protocol (WebSocket): after the application accepted
// an upgrade request, the connection stops speaking HTTP and gives its socket away.
#include <string>

struct ssl_st;

namespace nodus::detail {
class exchange;
}

namespace nodus::http::detail {

/// A socket taken from the HTTP pipeline, and what it had read past the request head.
struct taken_socket {
    int fd = -1; ///< -1: the connection could not be handed over (gone, or mid-response)
    bool v6 = false;
    std::string rest;
    ssl_st* tls = nullptr; ///< a TLS connection's SSL object (bound to `fd`), the caller's to free
};

/// Take `ex`'s connection: the exchange ends as answered with 101 (and is logged so), the
/// connection leaves the server (which no longer counts, times or drains it) and its
/// descriptor is returned, open, to the caller, who owns it from then on. Only for the
/// connection's current exchange, with its whole body read, nothing of its response sent and
/// no earlier response still queued; otherwise fd is -1. Call it from the loop, outside
/// the connection's own callbacks (e.g. from `next_tick` after the handler returned).
taken_socket take_socket(nodus::detail::exchange& ex);

} // namespace nodus::http::detail
