#include "net/detail/listener.hpp"

#include <cerrno>
#include <memory>
#include <system_error>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace nodus::detail {

namespace {

// One attempt on one resolved address; the errno of the step that failed otherwise.
unique_fd try_bind(const addrinfo& ai, int backlog, bool reuseport, int& err) {
    unique_fd fd{::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai.ai_protocol)};
    if (!fd) {
        err = errno;
        return {};
    }
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (::bind(fd.get(), ai.ai_addr, ai.ai_addrlen) != 0 || ::listen(fd.get(), backlog) != 0) {
        err = errno;
        return {};
    }
    return fd;
}

} // namespace

unique_fd bind_listener(const std::string& host, std::uint16_t port, int backlog, bool reuseport) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port_text = std::to_string(port);
    if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &res);
        rc != 0) {
        throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                                "cannot listen on " + show_endpoint(host, port) + ": " + ::gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard{res, &::freeaddrinfo};
    int err = EADDRNOTAVAIL;
    for (const addrinfo* ai = res; ai; ai = ai->ai_next)
        if (auto fd = try_bind(*ai, backlog, reuseport, err)) return fd;
    throw std::system_error(err, std::system_category(), "cannot listen on " + show_endpoint(host, port));
}

std::uint16_t local_port(int fd) noexcept {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
    if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
    if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
    return 0;
}

std::string local_host(int fd) {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return {};
    char buf[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET)
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&a)->sin_addr, buf, sizeof buf);
    else if (a.ss_family == AF_INET6)
        ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&a)->sin6_addr, buf, sizeof buf);
    return buf;
}

bool accept_error_of_one(int err) noexcept {
    switch (err) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ENETDOWN:
    case ENETUNREACH:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case EHOSTUNREACH:
    case ENONET:
    case EOPNOTSUPP: return true;
    default: return false;
    }
}

std::string show_endpoint(const std::string& host, std::uint16_t port) {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

} // namespace nodus::detail
