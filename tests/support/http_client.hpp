#pragma once
// The tests' one HTTP/1.1 client: blocking POSIX sockets on 127.0.0.1. It sends exactly the
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
    int status = 0; ///< 0: no complete response arrived (see `exchange`)
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool chunked = false;
    /// First value of `name` (case-insensitive), or "" when absent.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
    /// The server said `Connection: close`.
    bool closes() const;
};

class client {
public:
    /// Not connected; see `connect`.
    client() noexcept = default;
    /// Connected to 127.0.0.1:`port`. @throws std::runtime_error when the connection is refused.
    explicit client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    client(client&& other) noexcept;
    client& operator=(client&& other) noexcept;
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client();

    /// (Re)connect to 127.0.0.1:`port`; false when refused. Sends and reads give up after `timeout`.
    bool connect(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    bool is_open() const noexcept { return fd_ >= 0; }

    /// @throws std::runtime_error when the bytes cannot be sent.
    void send(std::string_view bytes);
    /// Read one response. `head` : the request was HEAD (no body). Returns nullopt on
    /// EOF or timeout before a complete response.
    std::optional<parsed_response> read_response(bool head = false);
    /// `send(request)` then `read_response(head)`; a response with status 0 when none came.
    parsed_response exchange(std::string_view request, bool head = false);
    /// GET `path` (with `Connection: close` unless `keep_alive`). nullopt when no complete
    /// response came; the connection is closed then, and after a response that closes it.
    std::optional<parsed_response> get(std::string_view path, bool keep_alive = true);
    /// The sending half of `get`, for a test that must act before the answer is read (then
    /// `read_response`). False, and the connection closed, when the request cannot be sent.
    bool send_get(std::string_view path, bool keep_alive = true);

    /// Everything until the server closes (or the timeout): the raw bytes.
    std::string read_until_close();
    /// True if the server closed the connection within `wait` (EOF or reset).
    bool closed_within(std::chrono::milliseconds wait);
    /// Wait until the server's process has read every byte sent so far: the server's kernel
    /// acknowledged them and its socket's receive queue is empty (from /proc/net/tcp).
    bool wait_read_by_server(std::chrono::milliseconds wait = std::chrono::seconds(5));

    /// Requests sent by `get` or `send_get` since the last `connect`: above 1, the connection
    /// was reused.
    int requests_sent() const noexcept { return requests_; }
    /// Whether any byte came back since the last `send`: a keep-alive connection that the
    /// server closed while idle fails a request with none.
    bool response_started() const noexcept { return received_; }

    void set_timeout(std::chrono::milliseconds t);
    void shutdown_write();
    void close();
    int fd() const noexcept { return fd_; }
    /// Bytes received but not yet consumed by read_response.
    const std::string& pending() const noexcept { return buf_; }

private:
    bool fill(); // read more into buf_; false on EOF/timeout/error
    bool read_body(parsed_response& r);
    int fd_ = -1;
    std::string buf_;
    int requests_ = 0;
    bool received_ = false;
};

/// Connect, send `request`, read one response: the whole exchange on a new connection.
/// Status 0 when no complete response came.
parsed_response exchange(std::uint16_t port, std::string_view request, bool head = false);

/// Connect, send `request`, return everything until the server closes.
std::string roundtrip(std::uint16_t port, std::string_view request,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// Status code of the first response in raw bytes ("HTTP/1.1 404 ..." → 404), 0 if none.
int status_of(std::string_view raw);

} // namespace nodus::test
