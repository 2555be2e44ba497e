#pragma once
// Whether an upgrade request may become a WebSocket connection (RFC 6455 §4.2.1), decided on
// its header fields alone, before the connection leaves the HTTP server.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace nodus::ws::detail {

/// The fields of an upgrade request the handshake looks at.
struct upgrade_request {
    std::string_view method;
    int version = 11; // 10 or 11
    bool has_body = false;
    std::string_view upgrade, connection, key, ws_version, origin, protocols;
    bool has_origin = false;
};

/// The outcome: status 101 (accept) or the error answer to send.
struct handshake_verdict {
    int status = 101;
    std::string_view why; // for the log and the answer's body; empty on 101
    /// 426: the header field to add ("Upgrade: websocket" or "Sec-WebSocket-Version: 13").
    std::string_view extra_name, extra_value;
    std::string protocol; // the chosen subprotocol (101 only); empty: none
};

/// True when `key` is base64 (with padding) of exactly 16 bytes, as RFC 6455 requires.
bool valid_key(std::string_view key) noexcept;

/// Sec-WebSocket-Accept for `key`: base64(SHA-1(key + the RFC 6455 GUID)).
std::string accept_key(std::string_view key);

/// Decide on `r`: the checks in the order a client most needs to hear about them.
handshake_verdict check_upgrade(const upgrade_request& r, const std::vector<std::string>& protocols,
                                const std::function<bool(std::string_view)>& allow_origin);

} // namespace nodus::ws::detail
