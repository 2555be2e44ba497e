#pragma once
// Raw bytes from a connection until they hold a given text: for responses that never complete
// (event streams), which a response reader would wait on forever.
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <string_view>

namespace nodus::test {

/// Append what arrives on `fd` to `got` until `got` contains `text` at or after `from`, the
/// peer closes, or `timeout` passes; returns `got`.
inline std::string& read_until(int fd, std::string& got, std::string_view text, std::size_t from = 0,
                               std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got.find(text, from) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
}

} // namespace nodus::test
