#pragma once
/** @file
    HTTPS for a `nodus::server`: the same pipeline, with TLS between the socket and it
    (docs/tls.md). `nodus::app` does this itself for `[tls] port`; these are for servers
    built by hand.
*/
#include <nodus/config/config.hpp>
#include <nodus/http/server.hpp>

#include <string>

namespace nodus::tls {

/** Make every connection `srv` accepts speak TLS with `cfg`'s certificates, keys and
    settings (`cfg.port` is not looked at: listen as usual). Call before `listen`.
    @throws config_error naming the file that is missing, not PEM, or whose key does not
    match its certificate, or the setting OpenSSL refused. */
void enable(server& srv, const tls_config& cfg);

/** Read `cfg`'s certificate and key files again: handshakes from now on use them,
    connections already open keep going with theirs, and session tickets stay valid. On
    failure the current certificates stay and the reason is returned (empty on success).
    The other settings (versions, ciphers, client certificates) are read again too. */
std::string reload(server& srv, const tls_config& cfg);

/** True when `srv` speaks TLS. */
bool enabled(const server& srv) noexcept;

} // namespace nodus::tls
