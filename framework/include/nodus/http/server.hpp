#pragma once
/** @file
    `nodus::server`: accepts connections and runs the HTTP/1.1 pipeline.
*/
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <nodus/config/config.hpp>
#include <nodus/http/handler.hpp>
#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>

namespace nodus {

namespace http::detail {
class server_impl;
struct server_access;
} // namespace http::detail

/** An HTTP/1.1 server on the process's loop (Node's `http.Server`).

    @par Lifetime
    The server lives on the loop: it keeps running after the `server` handle is gone,
    until `close()` completes. While it listens or has connections the loop stays alive.
*/
class server {
public:
    /** Create a server that calls `h` for each request. */
    explicit server(handler h, http_config cfg = {});
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    server(server&& other) noexcept;
    server& operator=(server&& other) noexcept;
    ~server();

    /** Bind and listen on `host:port` (port 0: an ephemeral port; see `port()`).
        `host` is an IP address or a host name, resolved at once; the first of its
        addresses that binds is used.
        @throws std::system_error naming the address and the reason. */
    void listen(std::uint16_t port, std::string_view host = "127.0.0.1", int backlog = 511);

    /** Serve an already bound and listening socket (inherited, or from systemd).
        The server takes a duplicate; the caller keeps `fd`. @throws std::system_error */
    void listen_fd(int fd);

    /** The bound port (0 before listen). */
    std::uint16_t port() const noexcept;

    /** Graceful stop: stop accepting, let in-flight exchanges finish (their responses
        carry `Connection: close`) for up to `[http] drain_timeout_ms`, close idle
        connections, then call `done`. */
    void close(std::function<void()> done = {});

    /** Stop at once: close the listener and every connection. */
    void close_now();

    /** Stop (gracefully) on SIGTERM or SIGINT; a second signal stops at once: every
        connection is closed, the log is flushed and the process exits with code 1.
        On by default for servers started by `nodus::app`. */
    void handle_signals(bool on = true);

    /** Open connections right now. */
    std::size_t connections() const noexcept;
    /** Requests served since start. */
    std::uint64_t requests() const noexcept;
    /** Failed `accept` calls since start (out of descriptors or memory). Each failure
        retries after 100 ms; the log has at most one line about them every 10 s, with the
        count, and one when accepting works again. */
    std::uint64_t accept_errors() const noexcept;

    /** Called when the server accepts connections (after listen). */
    void on_listening(std::function<void()> fn);

private:
    friend struct http::detail::server_access;

    http::detail::server_impl* impl_ = nullptr;
};

} // namespace nodus
