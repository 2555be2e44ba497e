// The server: listening, accepting or adopting connections, their deadline lists and
// the one timer that sweeps them.
#include "http/detail/server_impl.hpp"
#include "net/detail/descriptor_table.hpp"
#include "net/detail/listener.hpp"
#include "net/detail/socket_calls.hpp"
#include "tls/detail/context.hpp"

#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include "http/detail/buffer_pool.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>

#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nodus::http::detail {

namespace asio = boost::asio;

server_impl::server_impl(handler h, http_config cfg)
    : handler_(std::move(h)),
      ctx_(nodus::io_context()),
      reactor_(net::detail::reactor_of(ctx_)),
      acceptor_(ctx_.get_executor()),
      accept_op_(
          reactor_, [](void* self) { static_cast<server_impl*>(self)->accepted(); }, this),
      sweeper_(ctx_),
      accept_delay_(ctx_),
      drain_timer_(ctx_),
      parking_(ctx_) {
    configure(std::move(cfg));
}

void server_impl::configure(http_config cfg) {
    cfg_ = std::move(cfg);
    server_line_.clear();
    if (!cfg_.server_header.empty()) server_line_ = "Server: " + cfg_.server_header + "\r\n";
    using ms = std::chrono::milliseconds;
    lists_.set_timeout(wait_kind::header, ms(cfg_.header_timeout_ms));
    lists_.set_timeout(wait_kind::idle, ms(can_park() ? park_after_ms : cfg_.keep_alive_timeout_ms));
    // Checked at least this often: the body deadline is the earlier of the two. A connection
    // whose application holds its body goes back to this list from the sweep itself, so the
    // period must outlast the coarse clock's lag (a few ms) or the sweep would never end.
    lists_.set_timeout(
        wait_kind::body,
        ms(std::max<std::uint32_t>(10, std::min(cfg_.body_idle_timeout_ms, cfg_.request_timeout_ms))));
    lists_.set_timeout(wait_kind::send, ms(cfg_.send_timeout_ms));
    lists_.set_timeout(wait_kind::linger, ms(std::min<std::uint32_t>(cfg_.keep_alive_timeout_ms, 2000)));
}

server_impl::~server_impl() = default;

// One way to bind for the single process and the cluster master (net/): a host name works
// in both modes, and the errors read the same.
void server_impl::listen(std::uint16_t port, std::string_view host, int backlog) {
    serve_listener(nodus::detail::bind_listener(std::string(host), port, backlog, false));
}

void server_impl::listen_fd(int fd) {
    nodus::detail::unique_fd copy{::dup(fd)};
    if (!copy) throw std::system_error(errno, std::system_category(), "cannot adopt listening socket");
    serve_listener(std::move(copy));
}

void server_impl::serve_listener(nodus::detail::unique_fd fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    auto proto = ss.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
    boost::system::error_code ec;
    acceptor_.assign(proto, fd.get(), ec);
    if (ec)
        throw std::system_error(std::error_code(ec.value(), std::system_category()),
                                "cannot adopt listening socket");
    fd.release(); // the acceptor owns it now
    acceptor_.non_blocking(true, ec);
    port_ = acceptor_.local_endpoint(ec).port();
    net::detail::reserve_descriptor_table();
    do_accept();
    if (on_listening_) on_listening_();
}

void server_impl::do_accept() {
    if (closing_ || !acceptor_.is_open() || accepting_) return;
    if (hooks_.accept_delay) {
        if (unsigned d = hooks_.accept_delay(0)) {
            accept_later(std::chrono::microseconds(d));
            return;
        }
    }
    accepting_ = true;
    ++pending_;
    accept_op_.start(acceptor_, &hooks_.accept_delay, accept_errors_ != accept_errors_logged_);
}

// Up to 64 connections per turn of the loop (net/detail/batch_accept.hpp): Asio's accept
// takes one per turn, and a burst of a thousand clients waited up to 0.9 s for its last
// first answers, one turn (of all the requests in flight) each. The bound keeps a flood of
// connections from holding up the ones already served.
void server_impl::accepted() {
    accepting_ = false;
    auto& op = accept_op_;
    // Even when closing: a connection already taken from the queue is served (with
    // Connection: close), or its request would be lost. A connection served at once may be
    // deleted at once: the operation still counts as pending meanwhile, so the server stays.
    for (int i = 0; i < op.count(); ++i) start_connection(op.fd(i), op.peer(i), true);
    --pending_;
    if (op.error() == asio::error::operation_aborted) {
        maybe_delete();
        return;
    }
    if (op.error()) {
        // Out of descriptors or memory: back off instead of spinning on the error.
        accept_failed(op.error());
        accept_later(std::chrono::milliseconds(100));
        return;
    }
    // Recovered once a batch ends without meeting the error again (the first descriptors
    // back are often not all the queue needs).
    if (accept_errors_ != accept_errors_logged_) accept_recovered();
    if (unsigned d = op.held_off()) accept_later(std::chrono::microseconds(d));
    else do_accept();
    maybe_delete(); // closing meanwhile: no accept is pending now
}

// Descriptor exhaustion lasts as long as the load that caused it, and a retry comes ten
// times a second: one line per interval, with the count, keeps the log readable (and the
// disk from filling) while still saying how long it lasted.
void server_impl::accept_failed(const boost::system::error_code& ec) {
    constexpr auto interval = std::chrono::seconds(10);
    ++accept_errors_;
    auto now = clock::now();
    if (now < accept_log_after_) return;
    accept_log_after_ = now + interval;
    auto n = accept_errors_ - accept_errors_logged_;
    accept_errors_logged_ = accept_errors_;
    log::get().warn(
        "accept failed: {} ({} time{} since the last report; next report in {} s at the earliest)",
        ec.message(), n, n == 1 ? "" : "s", interval.count());
}

void server_impl::accept_recovered() {
    auto n = accept_errors_ - accept_errors_logged_;
    accept_errors_logged_ = accept_errors_;
    accept_log_after_ = {};
    log::get().warn("accepting again ({} more failed accept{} since the last report; {} in all)", n,
                    n == 1 ? "" : "s", accept_errors_);
}

void server_impl::accept_later(std::chrono::microseconds delay) {
    accepting_ = true;
    ++pending_;
    accept_delay_.expires_after(delay);
    accept_delay_.async_wait([this](const boost::system::error_code& ec) {
        --pending_;
        accepting_ = false;
        if (!ec) do_accept();
        maybe_delete();
    });
}

namespace {
// A burst's end: this many connections closed, and at least half of the peak.
constexpr std::size_t trim_after_closed = 1024;
} // namespace

// Every new connection starts here, whether this server accepted it or was handed it.
// Its first read is tried at once: most clients send their request with the connection,
// and a silent one is parked before it costs a connection object. One that is answered and
// then closes or parks never enters Asio's reactor (connection::attach): no epoll_ctl.
void server_impl::start_connection(int fd, const asio::ip::tcp::endpoint& remote, bool non_blocking) {
    int on = 1;
    if (!non_blocking) ::ioctl(fd, FIONBIO, &on); // a descriptor handed over
    // A TLS client's bytes stay in the socket for OpenSSL: a peek tells a silent one.
    char* scratch = buffers::scratch();
    ssize_t n;
    do n = tls_ ? net::detail::recv_some(fd, scratch, 1, MSG_PEEK) : net::detail::recv_some(fd, scratch, block_size, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && park_silent(fd, remote)) return;
    if (tls_) {
        ssl_st* ssl = tls_->new_ssl(fd);
        if (!ssl) { // out of memory
            ::close(fd);
            return;
        }
        auto* c = new connection(*this, fd, remote);
        c->set_tls(ssl);
        c->start_tls();
        return;
    }
    auto* c = new connection(*this, fd, remote);
    if (n > 0) c->start_with(static_cast<std::size_t>(n));
    else c->start(); // an end or an error: the first read sees it again
}

void server_impl::enable_tls(std::shared_ptr<tls::detail::context> ctx, std::uint32_t handshake_timeout_ms) {
    tls_ = std::move(ctx);
    tls_handshake_ms_ = handshake_timeout_ms;
    lists_.set_timeout(wait_kind::handshake, std::chrono::milliseconds(handshake_timeout_ms));
}

void server_impl::serve_adopted(std::uint16_t port) {
    port_ = port;
    net::detail::reserve_descriptor_table();
    if (on_listening_) on_listening_();
}

void server_impl::adopt(int fd) {
    // Like a connection accepted while closing, one handed over then is still served (with
    // Connection: close) as long as the drain runs; after it finished nothing would.
    if (close_done_) {
        ::close(fd);
        return;
    }
    // No peer: the client is gone already (reset while the connection was on its way).
    asio::ip::tcp::endpoint remote;
    if (!net::detail::peer_of(fd, remote)) {
        ::close(fd);
        return;
    }
    start_connection(fd, remote, false);
}

// ------------------------------------------------------------------ connection lists

void server_impl::add(connection* c, bool fresh) noexcept {
    if (fresh && ++open_ > open_peak_) open_peak_ = open_;
    lists_.append(c, wait_kind::none);
    if (fresh && hooks_.on_count) hooks_.on_count(open_);
}

void server_impl::remove(connection* c) noexcept { lists_.remove(c); }

void server_impl::move_to(connection* c, wait_kind k) noexcept {
    if (!lists_.move_to(c, k) || k == wait_kind::none) return;
    if (!sweeper_armed_ || c->hook_.deadline < sweeper_at_) arm_sweeper(c->hook_.deadline);
}

void server_impl::note_gone() noexcept {
    --open_;
    if (open_peak_ >= open_ + trim_after_closed && open_ <= open_peak_ / 2) note_burst_end();
    if (hooks_.on_count) hooks_.on_count(open_);
    if (closing_) maybe_finish_close();
}

// Most of a burst of connections has closed: glibc keeps the memory they freed at the
// process's peak unless asked, so give the free pages back. Once per burst, not per close.
void server_impl::note_burst_end() noexcept {
    open_peak_ = open_;
    ::malloc_trim(0);
}

void server_impl::on_connection_gone() noexcept {
    note_gone();
    maybe_delete();
}

void server_impl::arm_sweeper(clock::time_point when) {
    if (sweeper_armed_) {
        sweeper_.cancel(); // its handler sees operation_aborted and does nothing
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
        while (auto* c = lists_.head(wait_kind(k))) {
            if (c->hook_.deadline > now) {
                if (c->hook_.deadline < next) next = c->hook_.deadline;
                break;
            }
            if (wait_kind(k) == wait_kind::idle && c->hook_.served != c->served()) {
                // It answered since it became idle (a busy connection stays in the list):
                // idle from now on. So an idle timeout ends between one and two timeouts
                // after the last answer, never earlier.
                c->hook_.served = c->served();
                lists_.move_to(c, wait_kind::idle);
                continue;
            }
            move_to(c, wait_kind::none); // off this list before anything else
            c->on_timeout(wait_kind(k));
        }
    }
    while (parking_.oldest() && parking_.oldest()->deadline <= now) close_parked(parking_.oldest());
    if (parking_.oldest() && parking_.oldest()->deadline < next) next = parking_.oldest()->deadline;
    if (parking_.trim_due()) {
        // Many connections just gave their memory back: return the free pages to the
        // system, so that idle connections cost what they hold, not what they once held.
        ::malloc_trim(128 * 1024);
    }
    // A timeout above may have armed the sweeper for a later deadline (a connection parked).
    if (next != clock::time_point::max() && (!sweeper_armed_ || next < sweeper_at_)) arm_sweeper(next);
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

} // namespace nodus::http::detail
