// The public TLS switch of a server (nodus/tls/tls.hpp).
#include <nodus/tls/tls.hpp>

#include "http/detail/server_impl.hpp"
#include "tls/detail/context.hpp"

namespace nodus::tls {

using http::detail::server_access;

void enable(server& srv, const tls_config& cfg) {
    auto ctx = std::make_shared<detail::context>(cfg);
    server_access::impl(srv)->enable_tls(std::move(ctx), cfg.handshake_timeout_ms);
}

std::string reload(server& srv, const tls_config& cfg) {
    auto* ctx = server_access::impl(srv)->tls();
    if (!ctx) return "the server does not speak TLS";
    return ctx->reload(cfg);
}

bool enabled(const server& srv) noexcept { return server_access::impl(srv)->tls() != nullptr; }

} // namespace nodus::tls
