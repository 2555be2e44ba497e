#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace nodus::test {

std::string parsed_response::header(std::string_view name) const {
    for (auto& [n, v] : headers)
        if (n.size() == name.size() && ::strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
    return {};
}
bool parsed_response::has_header(std::string_view name) const {
    for (auto& [n, v] : headers)
        if (n.size() == name.size() && ::strncasecmp(n.data(), name.data(), n.size()) == 0) return true;
    return false;
}

client::client(std::uint16_t port, std::chrono::milliseconds timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
        throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_timeout(timeout);
}

client::~client() { close(); }

void client::set_timeout(std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = t.count() / 1000;
    tv.tv_usec = (t.count() % 1000) * 1000;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void client::send(std::string_view bytes) {
    while (!bytes.empty()) {
        auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

bool client::fill() {
    char tmp[65536];
    for (;;) {
        auto n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n > 0) {
            buf_.append(tmp, static_cast<std::size_t>(n));
            return true;
        }
        if (n < 0 && errno == EINTR) continue;
        return false;
    }
}

std::optional<parsed_response> client::read_response(bool head) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
        if (!fill()) return std::nullopt;
    parsed_response r;
    std::string_view h(buf_.data(), end + 2);
    auto eol = h.find("\r\n");
    auto line = h.substr(0, eol);
    if (line.size() < 12 || line.substr(0, 5) != "HTTP/") return std::nullopt;
    r.status = std::stoi(std::string(line.substr(9, 3)));
    r.reason = std::string(line.size() > 13 ? line.substr(13) : std::string_view{});
    std::size_t pos = eol + 2;
    while (pos < h.size()) {
        auto e = h.find("\r\n", pos);
        auto l = h.substr(pos, e - pos);
        auto c = l.find(':');
        std::string name(l.substr(0, c));
        auto v = l.substr(c + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        r.headers.emplace_back(std::move(name), std::string(v));
        pos = e + 2;
    }
    buf_.erase(0, end + 4);
    bool no_body = head || r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
    if (no_body) return r;
    auto te = r.header("Transfer-Encoding");
    if (!te.empty()) {
        r.chunked = true;
        for (;;) {
            std::size_t le;
            while ((le = buf_.find("\r\n")) == std::string::npos)
                if (!fill()) return std::nullopt;
            auto size = std::stoull(buf_.substr(0, le), nullptr, 16);
            while (buf_.size() < le + 2 + size + 2)
                if (!fill()) return std::nullopt;
            r.body.append(buf_, le + 2, size);
            buf_.erase(0, le + 2 + size + 2);
            if (size == 0) break;
        }
        return r;
    }
    if (r.has_header("Content-Length")) {
        auto len = std::stoull(r.header("Content-Length"));
        while (buf_.size() < len)
            if (!fill()) return std::nullopt;
        r.body = buf_.substr(0, len);
        buf_.erase(0, len);
        return r;
    }
    while (fill()) {
    }
    r.body = std::move(buf_);
    buf_.clear();
    return r;
}

std::string client::read_until_close() {
    while (fill()) {
    }
    auto out = std::move(buf_);
    buf_.clear();
    return out;
}

bool client::closed_within(std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r <= 0) continue;
        char tmp[4096];
        auto n = ::recv(fd_, tmp, sizeof tmp, MSG_DONTWAIT);
        if (n == 0) return true;
        if (n < 0 && errno != EAGAIN && errno != EINTR) return true;
        if (n > 0) buf_.append(tmp, static_cast<std::size_t>(n));
    }
}

void client::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

void client::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::string roundtrip(std::uint16_t port, std::string_view request, std::chrono::milliseconds timeout) {
    client c{port, timeout};
    c.send(request);
    return c.read_until_close();
}

int status_of(std::string_view raw) {
    if (raw.size() < 12 || raw.substr(0, 5) != "HTTP/") return 0;
    return std::atoi(std::string(raw.substr(9, 3)).c_str());
}

} // namespace nodus::test
