#include "client/detail/connection.hpp"

#include "client/detail/agent_state.hpp"
#include "client/detail/exchange.hpp"
#include "loop/detail/loop_ref.hpp"

#include <nodus/client/client.hpp>
#include <nodus/loop/loop.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace nodus::client::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t initial_buffer = 16 * 1024;
constexpr std::size_t min_read = 4 * 1024;

std::error_code code(errc e) { return make_error_code(e); }

std::string host_port(const origin& o) { return o.host + ":" + std::to_string(o.port); }
} // namespace

connection::connection(origin where, asio::ssl::context* tls)
    : origin_(std::move(where)), sock_(nodus::io_context()), timer_(nodus::io_context()) {
    if (tls) tls_.emplace(sock_, *tls);
}

connection::~connection() = default;

void connection::set_owner(std::shared_ptr<exchange> owner) noexcept { owner_ = std::move(owner); }

void connection::connect(connect_handler done) {
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(origin_.host, ec);
    if (!ec) {
        tcp::resolver::results_type one =
            tcp::resolver::results_type::create(tcp::endpoint(addr, origin_.port), origin_.host, "");
        return do_connect(one, std::move(done));
    }
    do_resolve(std::move(done));
}

// Asio's resolver runs getaddrinfo on a thread of its own, so the loop never blocks on DNS.
void connection::do_resolve(connect_handler done) {
    resolver_.emplace(nodus::io_context());
    resolver_->async_resolve(
        origin_.host, std::to_string(origin_.port),
        [self = shared_from_this(), done = std::move(done)](const boost::system::error_code& ec,
                                                            tcp::resolver::results_type addrs) mutable {
            if (ec == asio::error::operation_aborted) return done(code(errc::connect_timeout), {});
            if (ec)
                return done(code(errc::dns_failure),
                            "DNS failure: " + self->origin_.host + ": " + ec.message());
            self->do_connect(addrs, std::move(done));
        });
}

void connection::do_connect(const tcp::resolver::results_type& addrs, connect_handler done) {
    asio::async_connect(
        sock_, addrs,
        [self = shared_from_this(), done = std::move(done)](const boost::system::error_code& ec,
                                                            const tcp::endpoint&) mutable {
            if (ec == asio::error::operation_aborted) return done(code(errc::connect_timeout), {});
            if (ec == asio::error::connection_refused)
                return done(code(errc::connect_refused), "connection refused: " + host_port(self->origin_));
            if (ec)
                return done(code(errc::connect_failed),
                            "cannot connect to " + host_port(self->origin_) + ": " + ec.message());
            boost::system::error_code ignored;
            self->sock_.set_option(tcp::no_delay(true), ignored);
            if (self->tls_) return self->do_handshake(std::move(done));
            done({}, {});
        });
}

void connection::do_handshake(connect_handler done) {
    auto* ssl = tls_->native_handle();
    boost::system::error_code not_ip;
    asio::ip::make_address(origin_.host, not_ip);
    if (not_ip) SSL_set_tlsext_host_name(ssl, origin_.host.c_str()); // SNI is for names, not addresses
    if (SSL_CTX_get_verify_mode(SSL_get_SSL_CTX(ssl)) & SSL_VERIFY_PEER)
        tls_->set_verify_callback(asio::ssl::host_name_verification(origin_.host));
    tls_->async_handshake(
        asio::ssl::stream_base::client,
        [self = shared_from_this(), done = std::move(done)](const boost::system::error_code& ec) {
            if (ec == asio::error::operation_aborted) return done(code(errc::connect_timeout), {});
            if (!ec) return done({}, {});
            std::string why = "TLS handshake with " + host_port(self->origin_) + " failed: ";
            const long v = SSL_get_verify_result(self->tls_->native_handle());
            why += v != X509_V_OK ? X509_verify_cert_error_string(v) : ec.message();
            done(code(errc::tls_failed), std::move(why));
        });
}

void connection::write(std::string_view data) {
    writing_ = true;
    auto h = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        self->writing_ = false;
        if (auto o = self->owner_) o->on_written(ec, n);
    };
    if (tls_) asio::async_write(*tls_, asio::buffer(data), std::move(h));
    else asio::async_write(sock_, asio::buffer(data), std::move(h));
}

void connection::make_room() {
    if (rpos_ == rend_) rpos_ = rend_ = 0;
    if (buf_.empty()) buf_.resize(initial_buffer);
    if (buf_.size() - rend_ >= min_read) return;
    if (rpos_ > 0) {
        std::memmove(buf_.data(), buf_.data() + rpos_, rend_ - rpos_);
        rend_ -= rpos_;
        rpos_ = 0;
    }
    if (buf_.size() - rend_ < min_read) buf_.resize(buf_.size() * 2);
}

void connection::read() {
    make_room();
    reading_ = true;
    auto h = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        self->reading_ = false;
        self->rend_ += n;
        if (!self->counted_)
            nodus::detail::count_pending_wait(); // the scheduler takes one off for this completion
        if (auto o = self->owner_) o->on_read(ec, n);
        else if (auto* pool = self->pool_) pool->expire(*self); // closed, or bytes nobody asked for
    };
    if (!counted_) nodus::detail::uncount_pending_wait();
    auto space = asio::buffer(buf_.data() + rend_, buf_.size() - rend_);
    if (tls_) tls_->async_read_some(space, std::move(h));
    else sock_.async_read_some(space, std::move(h));
}

void connection::consume(std::size_t n) noexcept { rpos_ += n; }

void connection::close() noexcept {
    boost::system::error_code ignored;
    if (resolver_) resolver_->cancel();
    sock_.shutdown(tcp::socket::shutdown_both, ignored);
    sock_.close(ignored);
    set_deadline(deadline_kind::none, clock::time_point::max());
    if (waiting_) timer_.cancel();
    pool_ = nullptr;
}

bool connection::is_open() const noexcept { return sock_.is_open(); }

bool connection::still_usable(bool peek) noexcept {
    if (!sock_.is_open() || rpos_ != rend_) return false;
    if (!peek) return true;
    if (tls_ && SSL_pending(tls_->native_handle()) > 0) return false;
    char c;
    const auto n = ::recv(sock_.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void connection::set_deadline(deadline_kind kind, clock::time_point when) noexcept {
    kind_ = kind;
    when_ = kind == deadline_kind::none ? clock::time_point::max() : when;
    if (when_ == clock::time_point::max()) return;
    if (!waiting_) arm_timer();
    else if (when_ < armed_) timer_.cancel(); // the woken wait arms again for the earlier time
}

void connection::arm_timer() noexcept {
    armed_ = when_;
    timer_.expires_at(when_);
    waiting_ = true;
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code&) { self->on_timer(); });
    if (!counted_) nodus::detail::uncount_pending_wait();
}

void connection::set_loop_ref(bool keeps_loop) noexcept {
    if (keeps_loop == counted_) return;
    counted_ = keeps_loop;
    for (const bool pending : {waiting_, reading_}) {
        if (!pending) continue;
        if (keeps_loop) nodus::detail::count_pending_wait();
        else nodus::detail::uncount_pending_wait();
    }
}

void connection::on_timer() noexcept {
    waiting_ = false;
    if (!counted_) nodus::detail::count_pending_wait(); // the scheduler takes one off for this completion
    if (when_ == clock::time_point::max()) return;
    if (clock::now() < when_) return arm_timer();
    const auto kind = std::exchange(kind_, deadline_kind::none);
    when_ = clock::time_point::max();
    if (kind == deadline_kind::pooled) {
        if (auto* pool = pool_) pool->expire(*this);
    } else if (auto o = owner_) {
        o->on_deadline(kind);
    }
}

// An idle connection keeps a read pending, as nginx keeps a read event armed on its idle
// upstream connections: a close or a stray byte is seen when it happens, so taking the
// connection needs no system call.
void connection::park(agent_state* pool, clock::time_point expires) {
    pool_ = pool;
    owner_.reset();
    if (!reading_) read();
    set_loop_ref(false);
    set_deadline(deadline_kind::pooled, expires);
}

void connection::unpark() noexcept {
    pool_ = nullptr;
    set_loop_ref(true);
    set_deadline(deadline_kind::none, clock::time_point::max());
}

} // namespace nodus::client::detail
