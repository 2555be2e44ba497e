#pragma once
/** @file
    `nodus::ipc::channel`: a message channel over an `AF_UNIX` `SOCK_SEQPACKET` socket,
    served by the process's loop. Used between the cluster master and its workers and
    between a parent and a function it forked (`nodus::child_process::fork`).
*/
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

namespace nodus::ipc {

/** The largest payload one message may carry. Larger sends are refused; larger or
    malformed incoming messages are dropped and logged. */
inline constexpr std::size_t max_message_bytes = 64 * 1024;

/** Message namespaces (the byte after the length prefix). */
enum class ns : std::uint8_t {
    control = 0,   ///< the framework's own messages (online, listening, shutdown, stats...)
    app = 1,       ///< application messages
};

namespace detail { struct channel_impl; }

/** One end of a message channel.

    Each message travels as one `SOCK_SEQPACKET` record: a 4-byte little-endian payload
    length, one namespace byte, then the payload. Sends never block: a message that does
    not fit the socket buffer is queued and written when the socket is writable.

    @par Lifetime
    Handles are copyable and name the same channel. While the channel is open it keeps
    the loop alive (as Node's IPC channel does); `close()` or the peer closing ends that.
    Callbacks run on the loop; a payload view is valid until the callback returns.
*/
class channel {
public:
    channel() noexcept;
    /** Adopt `fd`, a connected `SOCK_SEQPACKET` socket. @throws std::system_error */
    explicit channel(int fd);
    channel(const channel&) noexcept;
    channel& operator=(const channel&) noexcept;
    channel(channel&&) noexcept;
    channel& operator=(channel&&) noexcept;
    ~channel();

    /** Send an application message. Returns false (and logs) when `msg` is larger than
        `max_message_bytes` or the channel is closed. */
    bool send(std::string_view msg);

    /** Receive application messages. */
    void on_message(std::function<void(std::string_view)> fn);

    /** Called once when the channel closes (peer gone, error, or `close()`). */
    void on_close(std::function<void()> fn);

    /** Close now; queued unsent messages are dropped. Safe to call twice. */
    void close() noexcept;

    bool is_open() const noexcept;

    /// @cond internal
    bool send(ns space, std::string_view payload);
    /// Send a message with a descriptor attached (`SCM_RIGHTS`). The caller keeps `fd`:
    /// the channel passes it at once or, when the message must wait for the socket,
    /// holds a duplicate until it is sent (closed if the channel closes first).
    /// Returns false when the channel is closed or the descriptor cannot be passed.
    bool send_fd(ns space, std::string_view payload, int fd);
    /// Messages waiting for room in the socket (the peer is not reading).
    std::size_t queued() const noexcept;
    /// Messages of the control namespace.
    void on_control(std::function<void(std::string_view)> fn);
    /// Control messages that carry a descriptor; `fn` owns it. A descriptor that
    /// arrives with no such callback (or with any other message) is closed.
    void on_control_fd(std::function<void(std::string_view, int fd)> fn);
    /// @endcond

private:
    std::shared_ptr<detail::channel_impl> impl_;
};

/** A connected `SOCK_SEQPACKET` socket pair (close-on-exec). @throws std::system_error */
std::pair<int, int> make_socket_pair();

} // namespace nodus::ipc
