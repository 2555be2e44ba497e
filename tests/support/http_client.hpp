#pragma once
// A small blocking HTTP/1.1 client on POSIX sockets, for tests: it sends exactly the
// bytes a test gives it and parses exactly what comes back.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nodus::test {

struct parsed_response {
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool chunked = false;
    /// First value of `name` (case-insensitive), or "" when absent.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

class client {
public:
    explicit client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    void send(std::string_view bytes);
    /// Read one response. `head` : the request was HEAD (no body). Returns nullopt on
    /// EOF or timeout before a complete response.
    std::optional<parsed_response> read_response(bool head = false);
    /// Everything until the server closes (or the timeout): the raw bytes.
    std::string read_until_close();
    /// True if the server closed the connection within `wait` (EOF or reset).
    bool closed_within(std::chrono::milliseconds wait);
    /// Set the receive buffer size (before connecting has no effect; call right away).
    void set_timeout(std::chrono::milliseconds t);
    void shutdown_write();
    void close();
    int fd() const noexcept { return fd_; }
    /// Bytes received but not yet consumed by read_response.
    const std::string& pending() const noexcept { return buf_; }

private:
    bool fill();   // read more into buf_; false on EOF/timeout/error
    int fd_ = -1;
    std::string buf_;
};

/// Connect, send `request`, return everything until the server closes.
std::string roundtrip(std::uint16_t port, std::string_view request,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// Status code of the first response in raw bytes ("HTTP/1.1 404 ..." → 404), 0 if none.
int status_of(std::string_view raw);

} // namespace nodus::test
