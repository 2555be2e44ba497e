#include "ws/detail/handshake.hpp"

#include "text/detail/char_class.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace nodus::ws::detail {

using nodus::detail::iequals;
using nodus::detail::list_has_token;
using nodus::detail::trim_ows;

namespace {

bool base64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// The first of the server's protocols (its order of preference) that the client lists.
std::string choose_protocol(std::string_view offered, const std::vector<std::string>& ours) {
    for (auto& p : ours)
        if (list_has_token(offered, p)) return p;
    return {};
}

} // namespace

bool valid_key(std::string_view key) noexcept {
    key = trim_ows(key);
    // 16 bytes are 22 base64 digits and "==" (the last digit carries 2 bits: A, Q, g or w).
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
    for (std::size_t i = 0; i < 22; ++i)
        if (!base64_char(key[i])) return false;
    char last = key[21];
    return last == 'A' || last == 'Q' || last == 'g' || last == 'w';
}

std::string accept_key(std::string_view key) {
    std::string in(trim_ows(key));
    in += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
    char out[32];
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out), digest, SHA_DIGEST_LENGTH);
    return std::string(out, static_cast<std::size_t>(n));
}

handshake_verdict check_upgrade(const upgrade_request& r, const std::vector<std::string>& protocols,
                                const std::function<bool(std::string_view)>& allow_origin) {
    handshake_verdict v;
    auto fail = [&v](int status, std::string_view why) {
        v.status = status;
        v.why = why;
        return v;
    };
    if (!list_has_token(r.upgrade, "websocket")) {
        v.extra_name = "Upgrade";
        v.extra_value = "websocket";
        return fail(426, "this resource speaks WebSocket only: send Upgrade: websocket");
    }
    if (!iequals(r.method, "GET")) return fail(400, "a WebSocket upgrade must be a GET request");
    if (r.version < 11) return fail(400, "a WebSocket upgrade needs HTTP/1.1");
    if (!list_has_token(r.connection, "upgrade")) return fail(400, "Connection must include upgrade");
    if (trim_ows(r.ws_version) != "13") {
        v.extra_name = "Sec-WebSocket-Version";
        v.extra_value = "13";
        return fail(426, "unsupported Sec-WebSocket-Version: this server speaks version 13");
    }
    if (!valid_key(r.key)) return fail(400, "missing or malformed Sec-WebSocket-Key");
    if (r.has_body) return fail(400, "a WebSocket upgrade request has no body");
    if (allow_origin && !allow_origin(r.has_origin ? r.origin : std::string_view{}))
        return fail(403, "this Origin may not open a WebSocket here");
    v.protocol = choose_protocol(r.protocols, protocols);
    return v;
}

} // namespace nodus::ws::detail
