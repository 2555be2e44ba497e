#pragma once
// The framework's own use of a channel: the control namespace (the cluster's online,
// listening, shutdown, stats... messages) and descriptors passed with a message.
#include <nodus/ipc/channel.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace nodus::ipc::detail {

/// Message namespaces: the byte after the length prefix.
enum class ns : std::uint8_t {
    control = 0, // the framework's own messages
    app = 1, // application messages (channel::send, channel::on_message)
};

/// Send a message of the control namespace. False when the payload is too large or the
/// channel is closed.
bool send_control(channel& ch, std::string_view payload);

/// Send a message with a descriptor attached (SCM_RIGHTS). The caller keeps `fd`: the
/// channel passes it at once or, when the message must wait for the socket, holds a
/// duplicate until it is sent (closed if the channel closes first). False when the
/// channel is closed or the descriptor cannot be passed.
bool send_fd(channel& ch, ns space, std::string_view payload, int fd);

/// Messages waiting for room in the socket (the peer is not reading).
std::size_t queued(const channel& ch) noexcept;

/// Messages of the control namespace.
void on_control(channel& ch, std::function<void(std::string_view)> fn);

/// Control messages that carry a descriptor; `fn` owns it. A descriptor that arrives
/// with no such callback (or with any other message) is closed.
void on_control_fd(channel& ch, std::function<void(std::string_view, int fd)> fn);

} // namespace nodus::ipc::detail
