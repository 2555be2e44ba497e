#include "http/detail/access_line.hpp"
#include "http/detail/exchange.hpp"

#include <nodus/log/log.hpp>

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
} // namespace

void log_exchange(nodus::detail::exchange& ex, int status) {
    auto& req = ex.req();
    auto ms = req.start() == std::chrono::steady_clock::time_point{}
        ? 0.0
        : std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - req.start()).count();
    log::access(req.remote_address(), req.method(), req.target(), status, ex.res().body_bytes(), ms);
}

void log_refused(const boost::asio::ip::tcp::endpoint& remote, std::string_view head, int status,
                 std::size_t bytes) {
    auto line = head.substr(0, head.find_first_of("\r\n"));
    auto method = token(line);
    auto target = token(line);
    auto address = remote.address().to_string();
    log::access(address, method.empty() ? "-" : method, target, status, bytes, 0.0);
}

} // namespace nodus::http::detail
