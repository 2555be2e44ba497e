#include <nodus/ipc/channel.hpp>

#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nodus::ipc {

namespace asio = boost::asio;

namespace {
constexpr std::size_t header_bytes = 5;
}

namespace detail {

struct channel_impl : std::enable_shared_from_this<channel_impl> {
    asio::posix::stream_descriptor sd;
    std::function<void(std::string_view)> on_app;
    std::function<void(std::string_view)> on_ctl;
    std::function<void()> on_closed;
    std::deque<std::string> out;      // framed messages not yet written
    std::vector<char> in;
    bool reading = false;
    bool writing = false;
    bool closed = false;

    explicit channel_impl(int fd) : sd(nodus::io_context(), fd) {
        sd.non_blocking(true);
    }

    void start() {
        if (reading || closed) return;
        reading = true;
        sd.async_wait(asio::posix::descriptor_base::wait_read,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                          self->reading = false;
                          if (ec || self->closed) return;
                          self->on_readable();
                      });
    }

    void on_readable() {
        if (in.empty()) in.resize(header_bytes + max_message_bytes + 1);
        // Drain to EAGAIN: the descriptor is registered edge-triggered, so a wait
        // armed while data is still queued would never complete.
        for (;;) {
            if (closed) return;
            ssize_t n = ::recv(sd.native_handle(), in.data(), in.size(), MSG_DONTWAIT | MSG_TRUNC);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                do_close();
                return;
            }
            if (n == 0) {
                do_close();
                return;
            }
            deliver(static_cast<std::size_t>(n));
        }
        start();
    }

    void deliver(std::size_t n) {
        if (n > in.size()) {
            nodus::log::get().error("ipc: dropped a {}-byte message (limit {} bytes)", n,
                                    max_message_bytes);
            return;
        }
        if (n < header_bytes) {
            nodus::log::get().error("ipc: dropped a malformed {}-byte message", n);
            return;
        }
        auto* p = reinterpret_cast<const unsigned char*>(in.data());
        std::uint32_t len = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 |
                            std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
        if (len != n - header_bytes || len > max_message_bytes) {
            nodus::log::get().error("ipc: dropped a malformed message (length {} in a {}-byte record)",
                                    len, n);
            return;
        }
        std::string_view payload{in.data() + header_bytes, len};
        switch (p[4]) {
        case static_cast<std::uint8_t>(ns::control):
            if (on_ctl) on_ctl(payload);
            break;
        case static_cast<std::uint8_t>(ns::app):
            if (on_app) on_app(payload);
            break;
        default:
            nodus::log::get().error("ipc: dropped a message of unknown namespace {}", int(p[4]));
        }
    }

    bool send(ns space, std::string_view payload) {
        if (closed) return false;
        if (payload.size() > max_message_bytes) {
            nodus::log::get().error("ipc: refused to send a {}-byte message (limit {} bytes)",
                                    payload.size(), max_message_bytes);
            return false;
        }
        std::string frame;
        frame.reserve(header_bytes + payload.size());
        auto len = static_cast<std::uint32_t>(payload.size());
        frame.push_back(char(len & 0xff));
        frame.push_back(char((len >> 8) & 0xff));
        frame.push_back(char((len >> 16) & 0xff));
        frame.push_back(char((len >> 24) & 0xff));
        frame.push_back(char(space));
        frame.append(payload);
        out.push_back(std::move(frame));
        if (!writing) flush();
        return !closed;
    }

    void flush() {
        while (!out.empty()) {
            const auto& f = out.front();
            ssize_t n = ::send(sd.native_handle(), f.data(), f.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    writing = true;
                    sd.async_wait(asio::posix::descriptor_base::wait_write,
                                  [self = shared_from_this()](const boost::system::error_code& ec) {
                                      self->writing = false;
                                      if (ec || self->closed) return;
                                      self->flush();
                                  });
                    return;
                }
                do_close();
                return;
            }
            out.pop_front();
        }
    }

    void do_close() noexcept {
        if (closed) return;
        closed = true;
        out.clear();
        boost::system::error_code ignored;
        sd.close(ignored);
        auto fn = std::move(on_closed);
        on_closed = nullptr;
        // The callbacks may be running right now (a handler that closes its own
        // channel), and may hold handles to this channel: drop them later.
        try {
            nodus::post([self = shared_from_this()] {
                self->on_app = nullptr;
                self->on_ctl = nullptr;
            });
        } catch (...) {
        }
        if (fn) fn();
    }
};

} // namespace detail

channel::channel() noexcept = default;
channel::channel(int fd) : impl_(std::make_shared<detail::channel_impl>(fd)) { impl_->start(); }
channel::channel(const channel&) noexcept = default;
channel& channel::operator=(const channel&) noexcept = default;
channel::channel(channel&&) noexcept = default;
channel& channel::operator=(channel&&) noexcept = default;
channel::~channel() = default;

bool channel::send(std::string_view msg) { return send(ns::app, msg); }

bool channel::send(ns space, std::string_view payload) {
    if (!impl_) return false;
    return impl_->send(space, payload);
}

void channel::on_message(std::function<void(std::string_view)> fn) {
    if (impl_ && !impl_->closed) impl_->on_app = std::move(fn);
}

void channel::on_control(std::function<void(std::string_view)> fn) {
    if (impl_ && !impl_->closed) impl_->on_ctl = std::move(fn);
}

void channel::on_close(std::function<void()> fn) {
    if (!impl_) return;
    if (impl_->closed) {
        if (fn) nodus::post(std::move(fn));
        return;
    }
    impl_->on_closed = std::move(fn);
}

void channel::close() noexcept {
    if (impl_) impl_->do_close();
}

bool channel::is_open() const noexcept { return impl_ && !impl_->closed; }

std::pair<int, int> make_socket_pair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        throw std::system_error(errno, std::system_category(), "ipc: socketpair");
    return {sv[0], sv[1]};
}

} // namespace nodus::ipc
