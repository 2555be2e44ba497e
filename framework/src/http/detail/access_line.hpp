#pragma once
// The access-log line of each request the server saw: served, refused before it became an
// exchange, or aborted. Written only while the access log is on (the callers check
// `log::access_enabled()` first, so the common path pays one load).
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <string_view>

namespace nodus::detail {
class exchange;
}

namespace nodus::http::detail {

/// The status logged for an exchange that ended without a response (nginx's "client closed
/// request").
inline constexpr int status_no_response = 499;

/// The line of an exchange, answered with `status`.
void log_exchange(nodus::detail::exchange& ex, int status);

/// The line of a request refused with `status` (`bytes` of canned body) before it became an
/// exchange. Method and target are read from `head`, the request's bytes as far as they
/// arrived.
void log_refused(const boost::asio::ip::tcp::endpoint& remote, std::string_view head, int status,
                 std::size_t bytes);

} // namespace nodus::http::detail
