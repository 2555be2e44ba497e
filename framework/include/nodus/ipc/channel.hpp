#pragma once
/** @file
    `nodus::ipc::channel`: a message channel over an `AF_UNIX` `SOCK_SEQPACKET` socket,
    served by the process's loop. Used between the cluster master and its workers and
    between a parent and a function it forked (`nodus::child_process::fork`).
*/
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

namespace nodus::ipc {

/** The largest payload one message may carry. Larger sends are refused; larger or
    malformed incoming messages are dropped and logged. */
inline constexpr std::size_t max_message_bytes = 64 * 1024;

namespace detail {
struct channel_impl;
struct channel_access;
} // namespace detail

/** One end of a message channel.

    Each message travels as one `SOCK_SEQPACKET` record: a 4-byte little-endian payload
    length, one namespace byte (application messages, or the framework's own), then the
    payload. Sends never block: a message that does
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

private:
    friend struct detail::channel_access;
    std::shared_ptr<detail::channel_impl> impl_;
};

/** A connected `SOCK_SEQPACKET` socket pair (close-on-exec). @throws std::system_error */
std::pair<int, int> make_socket_pair();

} // namespace nodus::ipc
