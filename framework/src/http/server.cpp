#include "http/detail/server_impl.hpp"

#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <boost/asio/ip/address.hpp>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <system_error>

#include <malloc.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nodus::http {

namespace asio = boost::asio;

namespace detail {

// A keep-alive connection idle this long is parked (see connection.cpp).
constexpr std::uint32_t park_after_ms = 1000;

server_impl::server_impl(handler h, http_config cfg)
    : handler_(std::move(h)), ctx_(nodus::io_context()), acceptor_(ctx_.get_executor()),
      sweeper_(ctx_), accept_delay_(ctx_), drain_timer_(ctx_) {
    configure(std::move(cfg));
}

void server_impl::configure(http_config cfg) {
    cfg_ = std::move(cfg);
    server_line_.clear();
    if (!cfg_.server_header.empty()) server_line_ = "Server: " + cfg_.server_header + "\r\n";
    using ms = std::chrono::milliseconds;
    lists_[int(wait_kind::header)].timeout = ms(cfg_.header_timeout_ms);
    lists_[int(wait_kind::idle)].timeout =
        ms(can_park() ? park_after_ms : cfg_.keep_alive_timeout_ms);
    lists_[int(wait_kind::body)].timeout = ms(cfg_.request_timeout_ms);
    lists_[int(wait_kind::send)].timeout = ms(cfg_.send_timeout_ms);
    lists_[int(wait_kind::linger)].timeout = ms(std::min<std::uint32_t>(cfg_.keep_alive_timeout_ms, 2000));
}

server_impl::~server_impl() = default;

static std::system_error bind_error(const boost::system::error_code& ec, std::string_view host,
                                    std::uint16_t port, const char* what) {
    return std::system_error(std::error_code(ec.value(), std::system_category()),
                             fmt::format("cannot {} {}:{}", what, host, port));
}

void server_impl::listen(std::uint16_t port, std::string_view host, int backlog) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(std::string(host), ec);
    if (ec) throw bind_error(ec, host, port, "parse address");
    asio::ip::tcp::endpoint ep{addr, port};
    acceptor_.open(ep.protocol(), ec);
    if (ec) throw bind_error(ec, host, port, "open socket for");
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    acceptor_.bind(ep, ec);
    if (ec) {
        boost::system::error_code ignore;
        acceptor_.close(ignore);
        throw bind_error(ec, host, port, "listen on");
    }
    acceptor_.listen(backlog, ec);
    if (ec) throw bind_error(ec, host, port, "listen on");
    acceptor_.non_blocking(true, ec);
    port_ = acceptor_.local_endpoint(ec).port();
    do_accept();
    if (on_listening_) on_listening_();
}

void server_impl::listen_fd(int fd) {
    int copy = ::dup(fd);
    if (copy < 0) throw std::system_error(errno, std::system_category(), "cannot adopt listening socket");
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(copy, reinterpret_cast<sockaddr*>(&ss), &len);
    auto proto = ss.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
    boost::system::error_code ec;
    acceptor_.assign(proto, copy, ec);
    if (ec) {
        ::close(copy);
        throw std::system_error(std::error_code(ec.value(), std::system_category()),
                                "cannot adopt listening socket");
    }
    acceptor_.non_blocking(true, ec);
    port_ = acceptor_.local_endpoint(ec).port();
    do_accept();
    if (on_listening_) on_listening_();
}

void server_impl::do_accept() {
    if (closing_ || !acceptor_.is_open() || accepting_) return;
    if (hooks_.accept_delay) {
        if (unsigned d = hooks_.accept_delay()) {
            accepting_ = true;
            ++pending_;
            accept_delay_.expires_after(std::chrono::microseconds(d));
            accept_delay_.async_wait([this](const boost::system::error_code& ec) {
                --pending_;
                accepting_ = false;
                if (!ec) do_accept();
                maybe_delete();
            });
            return;
        }
    }
    accepting_ = true;
    ++pending_;
    acceptor_.async_accept(accept_ep_, [this](const boost::system::error_code& ec, socket_type sock) {
        --pending_;
        accepting_ = false;
        if (ec == asio::error::operation_aborted) {
            maybe_delete();
            return;
        }
        // Even when closing: a connection already taken from the queue is served
        // (with Connection: close), or its request would be lost.
        if (!ec) {
            start_connection(std::move(sock), accept_ep_);
            do_accept();
            return;
        }
        // Out of descriptors or memory: back off instead of spinning on the error.
        log::get().warn("accept failed: {}", ec.message());
        accepting_ = true;
        ++pending_;
        accept_delay_.expires_after(std::chrono::milliseconds(100));
        accept_delay_.async_wait([this](const boost::system::error_code& e) {
            --pending_;
            accepting_ = false;
            if (!e) do_accept();
            maybe_delete();
        });
    });
}

// Every new connection starts here, whether this server accepted it or was handed it.
void server_impl::start_connection(socket_type sock, const asio::ip::tcp::endpoint& remote) {
    boost::system::error_code ignore;
    sock.non_blocking(true, ignore);
    sock.set_option(asio::ip::tcp::no_delay(true), ignore);
    auto* c = new connection(*this, std::move(sock));
    c->remote_ = remote;
    c->start();
}

void server_impl::serve_adopted(std::uint16_t port) {
    port_ = port;
    if (on_listening_) on_listening_();
}

void server_impl::adopt(int fd) {
    // Like a connection accepted while closing, one handed over then is still served (with
    // Connection: close) as long as the drain runs; after it finished nothing would.
    if (close_done_) {
        ::close(fd);
        return;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    // No peer: the client is gone already (reset while the connection was on its way).
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 ||
        (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
        ::close(fd);
        return;
    }
    asio::ip::tcp::endpoint remote;
    std::memcpy(remote.data(), &ss, len);
    remote.resize(len);
    socket_type sock{ctx_};
    boost::system::error_code ec;
    sock.assign(remote.protocol(), fd, ec);
    if (ec) {
        ::close(fd);
        log::get().warn("cannot adopt a connection: {}", ec.message());
        return;
    }
    start_connection(std::move(sock), remote);
}

// ------------------------------------------------------------------ connection lists

void server_impl::append(connection* c, wait_kind k) noexcept {
    auto& l = lists_[int(k)];
    c->kind_ = k;
    c->hook_.prev = l.tail;
    c->hook_.next = nullptr;
    if (l.tail) l.tail->hook_.next = c;
    else l.head = c;
    l.tail = c;
    ++l.size;
}

void server_impl::add(connection* c, bool fresh) noexcept {
    if (fresh) ++open_;
    append(c, wait_kind::none);
    if (fresh && hooks_.on_count) hooks_.on_count(open_);
}

void server_impl::remove(connection* c) noexcept {
    auto& l = lists_[int(c->kind_)];
    if (c->hook_.prev) c->hook_.prev->hook_.next = c->hook_.next;
    else l.head = c->hook_.next;
    if (c->hook_.next) c->hook_.next->hook_.prev = c->hook_.prev;
    else l.tail = c->hook_.prev;
    c->hook_ = {};
    --l.size;
    c->kind_ = wait_kind::count;   // in no list
}

void server_impl::move_to(connection* c, wait_kind k) noexcept {
    if (c->kind_ == wait_kind::count) return;   // closed
    remove(c);
    append(c, k);
    if (k != wait_kind::none) {
        c->deadline_ = coarse_now() + lists_[int(k)].timeout;
        if (!sweeper_armed_ || c->deadline_ < sweeper_at_) arm_sweeper(c->deadline_);
    }
}

void server_impl::note_gone() noexcept {
    --open_;
    if (hooks_.on_count) hooks_.on_count(open_);
    if (closing_) maybe_finish_close();
}

void server_impl::on_connection_gone() noexcept {
    note_gone();
    maybe_delete();
}

void server_impl::arm_sweeper(clock::time_point when) {
    if (sweeper_armed_) {
        sweeper_.cancel();   // its handler sees operation_aborted and does nothing
    }
    sweeper_armed_ = true;
    sweeper_at_ = when;
    ++pending_;
    sweeper_.expires_at(when);
    sweeper_.async_wait([this](const boost::system::error_code& ec) {
        --pending_;
        if (!ec) {
            sweeper_armed_ = false;
            sweep();
        }
        maybe_delete();
    });
}

void server_impl::sweep() {
    auto now = clock::now();
    clock::time_point next = clock::time_point::max();
    for (int k = int(wait_kind::header); k < int(wait_kind::count); ++k) {
        auto& l = lists_[k];
        while (l.head && l.head->deadline_ <= now) {
            auto* c = l.head;
            move_to(c, wait_kind::none);   // off this list before anything else
            c->on_timeout(wait_kind(k));
        }
        if (l.head && l.head->deadline_ < next) next = l.head->deadline_;
    }
    while (parked_head_ && parked_head_->deadline <= now) close_parked(parked_head_);
    if (parked_head_ && parked_head_->deadline < next) next = parked_head_->deadline;
    if (parked_since_trim_ >= 64) {
        // Many connections just gave their memory back: return the free pages to the
        // system, so that idle connections cost what they hold, not what they once held.
        parked_since_trim_ = 0;
        ::malloc_trim(128 * 1024);
    }
    if (next != clock::time_point::max() && !sweeper_armed_) arm_sweeper(next);
}

// ------------------------------------------------------------------ stopping

void server_impl::close(std::function<void()> done) {
    if (done) on_closed_ = std::move(done);
    if (closing_) return;
    closing_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    accept_delay_.cancel();
    close_all_parked(true);
    for (int k = 0; k < int(wait_kind::count); ++k)
        for (auto* c = lists_[k].head; c;) {
            auto* next = c->hook_.next;
            c->retire();
            c = next;
        }
    if (open_) {
        ++pending_;
        drain_timer_.expires_after(std::chrono::milliseconds(cfg_.drain_timeout_ms));
        drain_timer_.async_wait([this](const boost::system::error_code& e) {
            --pending_;
            if (!e && open_) {
                log::get().warn("drain deadline reached: closing {} connection(s)", open_);
                close_now();
            }
            maybe_delete();
        });
    }
    maybe_finish_close();
}

void server_impl::close_now() {
    closing_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    accept_delay_.cancel();
    close_all_parked(false);
    for (int k = 0; k < int(wait_kind::count); ++k)
        while (lists_[k].head) lists_[k].head->close_now();
    maybe_finish_close();
}

void server_impl::retire() {
    retiring_ = true;
    close_all_parked(true);
    for (int k = 0; k < int(wait_kind::count); ++k)
        for (auto* c = lists_[k].head; c;) {
            auto* next = c->hook_.next;
            c->retire();
            c = next;
        }
}

void server_impl::maybe_finish_close() {
    if (!closing_ || open_ || close_done_) return;
    close_done_ = true;
    drain_timer_.cancel();
    sweeper_.cancel();
    sigterm_.cancel();
    sigint_.cancel();
    if (on_closed_) {
        auto fn = std::move(on_closed_);
        on_closed_ = nullptr;
        asio::post(ctx_, std::move(fn));
    }
    if (hooks_.on_closed) asio::post(ctx_, hooks_.on_closed);
}

void server_impl::maybe_delete() {
    if (handles_ == 0 && !acceptor_.is_open() && open_ == 0 && pending_ == 0 &&
        !sigterm_.active() && !sigint_.active())
        delete this;
}

void server_impl::handle_signals(bool on) {
    if (!on) {
        sigterm_.cancel();
        sigint_.cancel();
        return;
    }
    if (sigterm_.active()) return;
    auto fn = [this](int signo) {
        if (++signals_seen_ == 1) {
            log::get().info("{}: stopping gracefully (send it again to stop at once)",
                            signo == SIGTERM ? "SIGTERM" : "SIGINT");
            close({});
        } else {
            // Stop at once, as asked: whatever the application still had pending is
            // abandoned, so there is nothing to unwind; only the log is flushed.
            log::get().info("stopping now");
            close_now();
            log::shutdown();
            std::_Exit(1);
        }
    };
    sigterm_ = on_signal(SIGTERM, fn);
    sigint_ = on_signal(SIGINT, fn);
}

// ------------------------------------------------------------------ parking

bool server_impl::can_park() const noexcept {
    return cfg_.keep_alive_timeout_ms > park_after_ms + 100 && !closing_ && !retiring_;
}

void server_impl::park(connection* c) {
    // Busy connections park after park_after_ms of idleness, others at once.
    auto idle_left = std::chrono::milliseconds(cfg_.keep_alive_timeout_ms - (c->hot() ? park_after_ms : 0));
    if (park_fd_ < 0) {
        park_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (park_fd_ < 0) {
            c->close_now();
            return;
        }
        park_watch_ = std::make_unique<asio::posix::stream_descriptor>(ctx_, park_fd_);
    }
    bool v6 = c->remote_.address().is_v6();
    std::uint32_t served = c->served();
    int fd = c->release_for_park();
    if (fd < 0) {
        c->close_now();
        return;
    }
    auto* p = new parked_conn;
    p->fd = fd;
    p->served = served;
    p->v6 = v6;
    p->deadline = clock::now() + idle_left;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = p;
    if (::epoll_ctl(park_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        ::close(fd);
        delete p;
        note_gone();
        return;
    }
    p->prev = parked_tail_;
    if (parked_tail_) parked_tail_->next = p;
    else parked_head_ = p;
    parked_tail_ = p;
    ++parked_;
    ++parked_since_trim_;
    if (!sweeper_armed_ || p->deadline < sweeper_at_) arm_sweeper(p->deadline);
    watch_parked();
}

void server_impl::watch_parked() {
    if (park_watching_ || !parked_head_) return;
    park_watching_ = true;
    ++pending_;
    park_watch_->async_wait(asio::posix::stream_descriptor::wait_read,
                            [this](const boost::system::error_code& ec) {
                                --pending_;
                                park_watching_ = false;
                                if (!ec) on_parked_ready();
                                maybe_delete();
                            });
}

void server_impl::on_parked_ready() {
    epoll_event evs[64];
    int n = ::epoll_wait(park_fd_, evs, 64, 0);
    for (int i = 0; i < n; ++i) unpark(static_cast<parked_conn*>(evs[i].data.ptr));
    watch_parked();
}

void server_impl::unlink(parked_conn* p) noexcept {
    if (p->prev) p->prev->next = p->next;
    else parked_head_ = p->next;
    if (p->next) p->next->prev = p->prev;
    else parked_tail_ = p->prev;
    p->prev = p->next = nullptr;
    --parked_;
}

// Bytes (or a close) arrived: back into Asio with a new connection object.
void server_impl::unpark(parked_conn* p) {
    ::epoll_ctl(park_fd_, EPOLL_CTL_DEL, p->fd, nullptr);
    unlink(p);
    socket_type sock{ctx_};
    boost::system::error_code ec;
    sock.assign(p->v6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), p->fd, ec);
    if (ec) {
        ::close(p->fd);
        delete p;
        note_gone();
        return;
    }
    sock.non_blocking(true, ec);
    auto remote = sock.remote_endpoint(ec);
    auto* c = new connection(*this, std::move(sock));
    c->remote_ = remote;
    c->set_served(p->served);
    delete p;
    c->start(false);
}

void server_impl::close_parked(parked_conn* p) noexcept {
    ::epoll_ctl(park_fd_, EPOLL_CTL_DEL, p->fd, nullptr);
    unlink(p);
    ::close(p->fd);
    delete p;
    note_gone();
}

void server_impl::close_all_parked(bool spare_pending) noexcept {
    // A parked connection whose request is already in the socket is served (with
    // Connection: close) rather than dropped.
    for (auto* p = parked_head_; p;) {
        auto* next = p->next;
        int unread = 0;
        if (spare_pending && ::ioctl(p->fd, FIONREAD, &unread) == 0 && unread > 0) unpark(p);
        else close_parked(p);
        p = next;
    }
    if (park_watch_) {
        boost::system::error_code ec;
        park_watch_->cancel(ec);
    }
}

std::string_view server_impl::date() noexcept {
    std::time_t t = std::time(nullptr);
    if (t != date_second_) {
        date_second_ = t;
        std::tm tm{};
        ::gmtime_r(&t, &tm);
        std::strftime(date_, sizeof date_, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    }
    return date_;
}

void reconfigure(server& srv, const http_config& cfg) { srv.impl()->configure(cfg); }
std::size_t parked_connections(const server& srv) noexcept { return srv.impl()->parked_; }
void serve_adopted(server& srv, std::uint16_t port) { srv.impl()->serve_adopted(port); }
void adopt(server& srv, int fd) { srv.impl()->adopt(fd); }
void set_hooks(server& srv, server_hooks hooks) { srv.impl()->hooks_ = std::move(hooks); }
void retire_connections(server& srv) { srv.impl()->retire(); }

} // namespace detail

// ------------------------------------------------------------------ server handle

server::server(handler h, http_config cfg) : impl_(new detail::server_impl(std::move(h), std::move(cfg))) {}
server::server(server&& o) noexcept : impl_(o.impl_) { o.impl_ = nullptr; }
server& server::operator=(server&& o) noexcept {
    if (this != &o) {
        this->~server();
        impl_ = o.impl_;
        o.impl_ = nullptr;
    }
    return *this;
}
server::~server() {
    if (!impl_) return;
    --impl_->handles_;
    impl_->maybe_delete();
    impl_ = nullptr;
}

void server::listen(std::uint16_t port, std::string_view host, int backlog) { impl_->listen(port, host, backlog); }
void server::listen_fd(int fd) { impl_->listen_fd(fd); }
std::uint16_t server::port() const noexcept { return impl_ ? impl_->port_ : 0; }
void server::close(std::function<void()> done) { impl_->close(std::move(done)); }
void server::close_now() { impl_->close_now(); }
void server::handle_signals(bool on) { impl_->handle_signals(on); }
std::size_t server::connections() const noexcept { return impl_ ? impl_->open_ : 0; }
std::uint64_t server::requests() const noexcept { return impl_ ? impl_->requests_ : 0; }
void server::on_listening(std::function<void()> fn) { impl_->on_listening_ = std::move(fn); }

} // namespace nodus::http
