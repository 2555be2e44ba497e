#pragma once
/** @file
    `nodus::testing::connection`: one raw HTTP/1.1 connection to a server on 127.0.0.1 that
    sends exactly the bytes a test gives it and parses exactly what comes back, for tests of
    framing, pipelining, slow clients and bad input. `nodus::testing::client`
    (client.hpp) builds well-formed requests on top of it.
*/
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nodus::testing {

/** One response as received. */
struct response {
    int status = 0; ///< 0: no complete response arrived
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers; ///< in order, as received
    std::string body; ///< decoded when it came chunked
    bool chunked = false; ///< it came with chunked coding
    /** First value of `name` (case-insensitive), or "" when absent. */
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
    /** The server said `Connection: close`. */
    bool closes() const;
    /** The body parsed as JSON. @throws boost::system::system_error when it is not JSON. */
    boost::json::value json() const;
};

/** A blocking connection to 127.0.0.1:port. Every read and send gives up after the timeout
    (5 s unless told): a test that waits on a server that never answers fails instead of
    hanging. Move-only; closes on destruction. */
class connection {
public:
    /** Not connected; see `connect`. */
    connection() noexcept = default;
    /** Connected to 127.0.0.1:`port`. @throws std::runtime_error when the connection is refused. */
    explicit connection(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    connection(connection&& other) noexcept;
    connection& operator=(connection&& other) noexcept;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    /** (Re)connect to 127.0.0.1:`port`; false when refused. */
    bool connect(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    bool is_open() const noexcept { return fd_ >= 0; }

    /** Send `bytes` as they are. @throws std::runtime_error when they cannot be sent. */
    void send(std::string_view bytes);
    /** Read one response (`head`: the request was HEAD, so no body). nullopt on EOF or
        timeout before a complete response. */
    std::optional<response> read_response(bool head = false);
    /** `send(request)` then `read_response(head)`; a response with status 0 when none came. */
    response exchange(std::string_view request, bool head = false);
    /** GET `path` (with `Connection: close` unless `keep_alive`). nullopt when no complete
        response came; the connection is closed then, and after a response that closes it. */
    std::optional<response> get(std::string_view path, bool keep_alive = true);
    /** The sending half of `get`, for a test that must act before the answer is read (then
        `read_response`). False, and the connection closed, when the request cannot be sent. */
    bool send_get(std::string_view path, bool keep_alive = true);

    /** Everything until the server closes (or the timeout): the raw bytes. */
    std::string read_until_close();
    /** True if the server closed the connection within `wait` (EOF or reset). */
    bool closed_within(std::chrono::milliseconds wait);
    /** Wait until the server's process has read every byte sent so far: the server's kernel
        acknowledged them and its socket's receive queue is empty (Linux: /proc/net/tcp). */
    bool wait_read_by_server(std::chrono::milliseconds wait = std::chrono::seconds(5));

    /** Requests sent by `get` or `send_get` since the last `connect`: above 1, the
        connection was reused. */
    int requests_sent() const noexcept { return requests_; }
    /** Whether any byte came back since the last `send`. */
    bool response_started() const noexcept { return received_; }

    void set_timeout(std::chrono::milliseconds t);
    void shutdown_write();
    void close();
    int fd() const noexcept { return fd_; }
    /** Bytes received but not yet consumed by `read_response`. */
    const std::string& pending() const noexcept { return buf_; }

private:
    bool fill(); // read more into buf_; false on EOF/timeout/error
    bool read_body(response& r);
    int fd_ = -1;
    std::string buf_;
    int requests_ = 0;
    bool received_ = false;
};

/** Connect, send `request`, read one response: the whole exchange on a new connection.
    Status 0 when no complete response came. */
response exchange(std::uint16_t port, std::string_view request, bool head = false);

/** Connect, send `request`, return everything until the server closes. */
std::string roundtrip(std::uint16_t port, std::string_view request,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

/** Status code of the first response in raw bytes ("HTTP/1.1 404 ..." → 404), 0 if none. */
int status_of(std::string_view raw);

} // namespace nodus::testing
