#include "ws/detail/ws_socket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace nodus::ws::detail {

namespace tls = nodus::tls::detail;

ws_socket::~ws_socket() {
    if (tls_) tls::free(tls_);
}

bool ws_socket::assign(int fd, bool v6) noexcept {
    boost::system::error_code ec;
    sock_.assign(v6 ? boost::asio::ip::tcp::v6() : boost::asio::ip::tcp::v4(), fd, ec);
    if (ec) {
        ::close(fd);
        return false;
    }
    sock_.non_blocking(true, ec);
    return !ec;
}

io_result ws_socket::read(char* buf, std::size_t cap) noexcept {
    if (tls_) return tls::read(tls_, buf, cap);
    for (;;) {
        auto n = ::recv(sock_.native_handle(), buf, cap, 0);
        if (n > 0) return {static_cast<std::size_t>(n), tls_status::ok};
        if (n == 0) return {0, tls_status::eof};
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, tls_status::want_read};
        return {0, errno == ECONNRESET ? tls_status::eof : tls_status::error};
    }
}

io_result ws_socket::write(const char* data, std::size_t len) noexcept {
    if (tls_) return tls::write(tls_, data, len);
    for (;;) {
        auto n = ::send(sock_.native_handle(), data, len, MSG_NOSIGNAL);
        if (n >= 0) return {static_cast<std::size_t>(n), tls_status::ok};
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, tls_status::want_write};
        return {0, tls_status::error};
    }
}

void ws_socket::shutdown_send() noexcept {
    if (!sock_.is_open()) return;
    if (tls_) tls::shutdown(tls_);
    ::shutdown(sock_.native_handle(), SHUT_WR);
}

void ws_socket::close() noexcept {
    boost::system::error_code ignored;
    sock_.close(ignored);
}

} // namespace nodus::ws::detail
