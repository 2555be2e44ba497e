// The public `nodus::server` handle and the framework's hooks into a server.
#include "http/detail/server_impl.hpp"

#include <utility>

namespace nodus::http {

namespace detail {
void reconfigure(server& srv, const http_config& cfg) { server_access::impl(srv)->configure(cfg); }
std::size_t parked_connections(const server& srv) noexcept { return server_access::impl(srv)->parked(); }
void serve_adopted(server& srv, std::uint16_t port) { server_access::impl(srv)->serve_adopted(port); }
void adopt(server& srv, int fd) { server_access::impl(srv)->adopt(fd); }
void set_hooks(server& srv, server_hooks hooks) { server_access::impl(srv)->set_hooks(std::move(hooks)); }
void count_metrics(server& srv, bool on) noexcept { server_access::impl(srv)->set_counting(on); }
void set_close_delay(server& srv, std::chrono::milliseconds delay) noexcept {
    server_access::impl(srv)->set_close_delay(delay);
}
void retire_connections(server& srv) { server_access::impl(srv)->retire(); }
} // namespace detail
} // namespace nodus::http

namespace nodus {

server::server(handler h, http_config cfg)
    : impl_(new http::detail::server_impl(std::move(h), std::move(cfg))) {}
server::server(server&& o) noexcept : impl_(std::exchange(o.impl_, nullptr)) {}
server& server::operator=(server&& o) noexcept {
    // The server this handle held is let go by `old`'s destructor, after the swap.
    server old{std::move(o)};
    std::swap(impl_, old.impl_);
    return *this;
}
server::~server() {
    if (impl_) std::exchange(impl_, nullptr)->release_handle();
}

void server::listen(std::uint16_t port, std::string_view host, int backlog) {
    impl_->listen(port, host, backlog);
}
void server::listen_fd(int fd) { impl_->listen_fd(fd); }
std::uint16_t server::port() const noexcept { return impl_ ? impl_->port() : 0; }
void server::close(std::function<void()> done) { impl_->close(std::move(done)); }
void server::close_now() { impl_->close_now(); }
void server::handle_signals(bool on) { impl_->handle_signals(on); }
std::size_t server::connections() const noexcept { return impl_ ? impl_->open() : 0; }
std::uint64_t server::requests() const noexcept { return impl_ ? impl_->requests() : 0; }
std::uint64_t server::accept_errors() const noexcept { return impl_ ? impl_->accept_errors() : 0; }
void server::on_listening(std::function<void()> fn) { impl_->on_listening(std::move(fn)); }

} // namespace nodus
