#include "http/detail/access_line.hpp"
#include "http/detail/exchange.hpp"
#include "log/detail/access_log.hpp"

#include <chrono>
#include <string>

namespace nodus::http::detail {

namespace {
// A refused head can be as long as max_header_bytes: the log keeps enough to recognise it.
constexpr std::size_t max_logged_token = 1024;

std::string_view token(std::string_view& line) noexcept {
    auto end = line.find(' ');
    auto t = line.substr(0, end);
    line.remove_prefix(end == std::string_view::npos ? line.size() : end + 1);
    return t.substr(0, max_logged_token);
}

std::string_view field(const nodus::detail::request_head& req, std::string_view name) noexcept {
    const auto* f = req.find_field(name);
    return f ? f->value : std::string_view{};
}
} // namespace

void log_exchange(nodus::detail::exchange& ex, int status) {
    auto& req = ex.req();
    log::detail::access_entry e;
    if (req.start() != std::chrono::steady_clock::time_point{})
        e.duration_us = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                       std::chrono::steady_clock::now() - req.start())
                                                       .count());
    e.remote = req.remote_address();
    e.method = req.method();
    e.target = req.target();
    e.version = req.info().version;
    e.status = status;
    e.bytes = ex.res().body_bytes();
    e.request_id = ex.res().get("X-Request-Id");
    if (log::detail::access_shows_headers()) {
        e.referer = field(req, "Referer");
        e.user_agent = field(req, "User-Agent");
    }
    log::detail::access(e);
}

void log_refused(const boost::asio::ip::tcp::endpoint& remote, std::string_view head, int status,
                 std::size_t bytes) {
    auto line = head.substr(0, head.find_first_of("\r\n"));
    auto method = token(line);
    auto target = token(line);
    auto address = remote.address().to_string();
    log::detail::access_entry e;
    e.remote = address;
    e.method = method.empty() ? "-" : method;
    e.target = target;
    e.version = line == "HTTP/1.1" ? 11 : line == "HTTP/1.0" ? 10 : 0;
    e.status = status;
    e.bytes = bytes;
    log::detail::access(e);
}

} // namespace nodus::http::detail
