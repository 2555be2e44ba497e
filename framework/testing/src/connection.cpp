// The raw connection of the test kit: blocking POSIX sockets on 127.0.0.1, the exact bytes
// a test gives it out, and what comes back parsed as HTTP/1.1 responses.
#include <nodus/testing/connection.hpp>

#include <boost/json/parse.hpp>

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace nodus::testing {

std::string response::header(std::string_view name) const {
    for (auto& [n, v] : headers)
        if (n.size() == name.size() && ::strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
    return {};
}
bool response::has_header(std::string_view name) const {
    for (auto& [n, v] : headers)
        if (n.size() == name.size() && ::strncasecmp(n.data(), name.data(), n.size()) == 0) return true;
    return false;
}

bool response::closes() const { return ::strcasecmp(header("Connection").c_str(), "close") == 0; }

boost::json::value response::json() const { return boost::json::parse(body); }

connection::connection(std::uint16_t port, std::chrono::milliseconds timeout) {
    if (!connect(port, timeout))
        throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
}

connection::connection(connection&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      buf_(std::move(o.buf_)),
      requests_(o.requests_),
      received_(o.received_) {}

connection& connection::operator=(connection&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = std::exchange(o.fd_, -1);
        buf_ = std::move(o.buf_);
        requests_ = o.requests_;
        received_ = o.received_;
    }
    return *this;
}

connection::~connection() { close(); }

bool connection::connect(std::uint16_t port, std::chrono::milliseconds timeout) {
    close();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    set_timeout(timeout); // before connect(): it bounds the handshake too
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        int err = errno;
        close();
        errno = err;
        return false;
    }
    requests_ = 0;
    received_ = false;
    return true;
}

void connection::set_timeout(std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = t.count() / 1000;
    tv.tv_usec = (t.count() % 1000) * 1000;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void connection::send(std::string_view bytes) {
    received_ = false;
    while (!bytes.empty()) {
        auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

bool connection::fill() {
    char tmp[65536];
    for (;;) {
        auto n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n > 0) {
            buf_.append(tmp, static_cast<std::size_t>(n));
            received_ = true;
            return true;
        }
        if (n < 0 && errno == EINTR) continue;
        return false;
    }
}

std::optional<response> connection::read_response(bool head) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
        if (!fill()) return std::nullopt;
    response r;
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
    if (!read_body(r)) return std::nullopt;
    return r;
}

bool connection::read_body(response& r) {
    if (!r.header("Transfer-Encoding").empty()) {
        r.chunked = true;
        for (;;) {
            std::size_t le;
            while ((le = buf_.find("\r\n")) == std::string::npos)
                if (!fill()) return false;
            auto size = std::stoull(buf_.substr(0, le), nullptr, 16);
            while (buf_.size() < le + 2 + size + 2)
                if (!fill()) return false;
            r.body.append(buf_, le + 2, size);
            buf_.erase(0, le + 2 + size + 2);
            if (size == 0) return true;
        }
    }
    if (r.has_header("Content-Length")) {
        auto len = std::stoull(r.header("Content-Length"));
        while (buf_.size() < len)
            if (!fill()) return false;
        r.body = buf_.substr(0, len);
        buf_.erase(0, len);
        return true;
    }
    while (fill()) {}
    r.body = std::move(buf_);
    buf_.clear();
    return true;
}

response connection::exchange(std::string_view request, bool head) {
    try {
        send(request);
    } catch (const std::runtime_error&) {
        return {};
    }
    auto r = read_response(head);
    return r ? std::move(*r) : response{};
}

std::optional<response> connection::get(std::string_view path, bool keep_alive) {
    if (!send_get(path, keep_alive)) return std::nullopt;
    std::optional<response> r;
    try {
        r = read_response();
    } catch (const std::runtime_error&) {}
    if (!r || r->closes() || !keep_alive) close();
    return r;
}

bool connection::send_get(std::string_view path, bool keep_alive) {
    if (fd_ < 0) return false;
    std::string req = "GET ";
    req.append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if (!keep_alive) req += "Connection: close\r\n";
    req += "\r\n";
    ++requests_;
    try {
        send(req);
    } catch (const std::runtime_error&) {
        close();
        return false;
    }
    return true;
}

std::string connection::read_until_close() {
    while (fill()) {}
    auto out = std::move(buf_);
    buf_.clear();
    return out;
}

bool connection::closed_within(std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
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

namespace {

// The receive queue of the socket 127.0.0.1:`local` ↔ :`remote` from /proc/net/tcp{,6}, or -1
// when there is no such socket (a closed one stays listed while in TIME_WAIT or FIN_WAIT).
long receive_queue(std::uint16_t local, std::uint16_t remote) {
    auto port_of = [](const std::string& addr) {
        auto colon = addr.rfind(':');
        return colon == std::string::npos ? 0ul : std::stoul(addr.substr(colon + 1), nullptr, 16);
    };
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in{table};
        std::string line;
        std::getline(in, line); // the column titles
        while (std::getline(in, line)) {
            std::istringstream fields{line};
            std::string slot, local_addr, remote_addr, state, queues;
            fields >> slot >> local_addr >> remote_addr >> state >> queues;
            if (port_of(local_addr) != local || port_of(remote_addr) != remote) continue;
            auto colon = queues.find(':');
            if (colon == std::string::npos) continue;
            return static_cast<long>(std::stoul(queues.substr(colon + 1), nullptr, 16));
        }
    }
    return -1;
}

} // namespace

bool connection::wait_read_by_server(std::chrono::milliseconds wait) {
    sockaddr_in self{}, peer{};
    socklen_t len = sizeof self;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&self), &len) != 0) return false;
    len = sizeof peer;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return false;
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        int unacknowledged = 0;
        ::ioctl(fd_, SIOCOUTQ, &unacknowledged);
        if (unacknowledged == 0 && receive_queue(ntohs(peer.sin_port), ntohs(self.sin_port)) == 0)
            return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

void connection::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

void connection::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
}

response exchange(std::uint16_t port, std::string_view request, bool head) {
    connection c{port};
    return c.exchange(request, head);
}

std::string roundtrip(std::uint16_t port, std::string_view request, std::chrono::milliseconds timeout) {
    connection c{port, timeout};
    c.send(request);
    return c.read_until_close();
}

int status_of(std::string_view raw) {
    if (raw.size() < 12 || raw.substr(0, 5) != "HTTP/") return 0;
    return std::atoi(std::string(raw.substr(9, 3)).c_str());
}

} // namespace nodus::testing
