#include <nodus/ipc/channel.hpp>

#include "ipc/detail/control.hpp"
#include "net/detail/unique_fd.hpp"

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
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace nodus::ipc {

namespace asio = boost::asio;

namespace {

constexpr std::size_t header_bytes = 5;
// One descriptor per message is what the framework sends; room for a few more lets a
// malformed sender's extras be received and closed rather than leak in flight.
constexpr std::size_t max_fds_per_message = 4;

using nodus::detail::unique_fd;

// A framed message waiting for the socket, with the duplicate of the descriptor it carries.
struct frame {
    std::string bytes;
    unique_fd fd;
};

// Refuses one descriptor without breaking the channel: this user has too many
// descriptors in flight already.
bool fd_refused(int err) noexcept { return err == ETOOMANYREFS; }

} // namespace

namespace detail {

struct channel_impl : std::enable_shared_from_this<channel_impl> {
    asio::posix::stream_descriptor sd;
    std::function<void(std::string_view)> on_app;
    std::function<void(std::string_view)> on_ctl;
    std::function<void(std::string_view, int)> on_ctl_fd;
    std::function<void()> on_closed;
    std::deque<frame> out; // framed messages not yet written
    std::vector<char> in;
    bool reading = false;
    bool writing = false;
    bool closed = false;

    explicit channel_impl(int fd) : sd(nodus::io_context(), fd) { sd.non_blocking(true); }

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
            iovec iov{in.data(), in.size()};
            alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
            msghdr mh{};
            mh.msg_iov = &iov;
            mh.msg_iovlen = 1;
            mh.msg_control = control;
            mh.msg_controllen = sizeof control;
            // recvmsg even when no descriptor is expected: a plain recv would let the kernel
            // discard one that came anyway, and MSG_CMSG_CLOEXEC keeps any we get out of
            // programs this process executes.
            ssize_t n = ::recvmsg(sd.native_handle(), &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                do_close();
                return;
            }
            unique_fd fd = take_fds(mh);
            if (n == 0) {
                do_close();
                return;
            }
            deliver(static_cast<std::size_t>(n), std::move(fd));
        }
        start();
    }

    // The first descriptor of a message is its own; any others are closed.
    static unique_fd take_fds(msghdr& mh) noexcept {
        unique_fd first;
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (std::size_t i = 0; i < count; ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (first.get() < 0) first = unique_fd{fd};
                else ::close(fd);
            }
        }
        // The kernel drops what does not fit: descriptors beyond the buffer, or all of them
        // when this process is out of descriptors.
        if (mh.msg_flags & MSG_CTRUNC)
            nodus::log::get().error(
                "ipc: descriptors sent with a message were lost (more than {}, or no "
                "descriptor left in this process)",
                max_fds_per_message);
        return first;
    }

    void deliver(std::size_t n, unique_fd fd) {
        if (n > in.size()) {
            nodus::log::get().error("ipc: dropped a {}-byte message (limit {} bytes)", n, max_message_bytes);
            return;
        }
        if (n < header_bytes) {
            nodus::log::get().error("ipc: dropped a malformed {}-byte message", n);
            return;
        }
        auto* p = reinterpret_cast<const unsigned char*>(in.data());
        std::uint32_t len = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
            std::uint32_t(p[3]) << 24;
        if (len != n - header_bytes || len > max_message_bytes) {
            nodus::log::get().error("ipc: dropped a malformed message (length {} in a {}-byte record)", len,
                                    n);
            return;
        }
        std::string_view payload{in.data() + header_bytes, len};
        switch (p[4]) {
        case static_cast<std::uint8_t>(ns::control):
            if (fd.get() >= 0) {
                if (on_ctl_fd) on_ctl_fd(payload, fd.release());
                else nodus::log::get().error("ipc: closed a descriptor nobody takes");
            } else if (on_ctl) {
                on_ctl(payload);
            }
            break;
        case static_cast<std::uint8_t>(ns::app):
            if (fd.get() >= 0)
                nodus::log::get().error("ipc: closed a descriptor sent with an application message");
            fd.reset();
            if (on_app) on_app(payload);
            break;
        default: nodus::log::get().error("ipc: dropped a message of unknown namespace {}", int(p[4]));
        }
    }

    // One record; with `fd` >= 0 the descriptor rides along as SCM_RIGHTS.
    ssize_t write_record(const std::string& bytes, int fd) noexcept {
        if (fd < 0)
            return ::send(sd.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control;
        mh.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
        return ::sendmsg(sd.native_handle(), &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    }

    bool send(ns space, std::string_view payload, int fd = -1) {
        if (closed) return false;
        if (payload.size() > max_message_bytes) {
            nodus::log::get().error("ipc: refused to send a {}-byte message (limit {} bytes)", payload.size(),
                                    max_message_bytes);
            return false;
        }
        std::string bytes;
        bytes.reserve(header_bytes + payload.size());
        auto len = static_cast<std::uint32_t>(payload.size());
        bytes.push_back(char(len & 0xff));
        bytes.push_back(char((len >> 8) & 0xff));
        bytes.push_back(char((len >> 16) & 0xff));
        bytes.push_back(char((len >> 24) & 0xff));
        bytes.push_back(char(space));
        bytes.append(payload);
        bool full = false;
        if (out.empty() && !writing) {
            // Nothing queued: write now, and the caller's descriptor needs no duplicate.
            for (;;) {
                if (write_record(bytes, fd) >= 0) return true; // a record goes whole or not at all
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    full = true;
                    break;
                }
                if (fd >= 0 && fd_refused(errno)) {
                    nodus::log::get().error("ipc: cannot pass a descriptor: {}", std::strerror(errno));
                    return false;
                }
                do_close();
                return false;
            }
        }
        frame f{std::move(bytes), {}};
        if (fd >= 0) {
            // The caller may close its descriptor as soon as this returns: keep our own.
            f.fd = unique_fd{::fcntl(fd, F_DUPFD_CLOEXEC, 0)};
            if (f.fd.get() < 0) {
                nodus::log::get().error("ipc: cannot hold a descriptor to pass: {}", std::strerror(errno));
                return false;
            }
        }
        out.push_back(std::move(f));
        if (full) wait_writable();
        else if (!writing) flush();
        return !closed;
    }

    void wait_writable() {
        writing = true;
        sd.async_wait(asio::posix::descriptor_base::wait_write,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                          self->writing = false;
                          if (ec || self->closed) return;
                          self->flush();
                      });
    }

    void flush() {
        while (!out.empty()) {
            auto& f = out.front();
            ssize_t n = write_record(f.bytes, f.fd.get());
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    wait_writable();
                    return;
                }
                if (f.fd.get() >= 0 && fd_refused(errno)) {
                    nodus::log::get().error("ipc: dropped a message: cannot pass its descriptor: {}",
                                            std::strerror(errno));
                    out.pop_front();
                    continue;
                }
                do_close();
                return;
            }
            out.pop_front(); // closes our duplicate: the peer holds the descriptor now
        }
    }

    void do_close() noexcept {
        if (closed) return;
        closed = true;
        out.clear(); // and with the messages, the descriptors they were to carry
        boost::system::error_code ignored;
        sd.close(ignored);
        auto fn = std::move(on_closed);
        on_closed = nullptr;
        // The callbacks may be running right now (a handler that closes its own
        // channel), and may hold handles to this channel: drop them later.
        try {
            nodus::next_tick([self = shared_from_this()] {
                self->on_app = nullptr;
                self->on_ctl = nullptr;
                self->on_ctl_fd = nullptr;
            });
        } catch (...) {}
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

bool channel::send(std::string_view msg) { return impl_ && impl_->send(detail::ns::app, msg); }

void channel::on_message(std::function<void(std::string_view)> fn) {
    if (impl_ && !impl_->closed) impl_->on_app = std::move(fn);
}

void channel::on_close(std::function<void()> fn) {
    if (!impl_) return;
    if (impl_->closed) {
        if (fn) nodus::next_tick(std::move(fn));
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

namespace detail {

struct channel_access {
    static channel_impl* get(const channel& c) noexcept { return c.impl_.get(); }
};

bool send_control(channel& ch, std::string_view payload) {
    auto* impl = channel_access::get(ch);
    return impl && impl->send(ns::control, payload);
}

bool send_fd(channel& ch, ns space, std::string_view payload, int fd) {
    auto* impl = channel_access::get(ch);
    return impl && fd >= 0 && impl->send(space, payload, fd);
}

std::size_t queued(const channel& ch) noexcept {
    auto* impl = channel_access::get(ch);
    return impl ? impl->out.size() : 0;
}

void on_control(channel& ch, std::function<void(std::string_view)> fn) {
    if (auto* impl = channel_access::get(ch); impl && !impl->closed) impl->on_ctl = std::move(fn);
}

void on_control_fd(channel& ch, std::function<void(std::string_view, int)> fn) {
    if (auto* impl = channel_access::get(ch); impl && !impl->closed) impl->on_ctl_fd = std::move(fn);
}

} // namespace detail

} // namespace nodus::ipc
