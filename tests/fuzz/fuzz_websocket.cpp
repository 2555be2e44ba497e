// libFuzzer driver for what a WebSocket peer sends. Byte 0 picks the mode:
//   bit 0 set: the upgrade check (ws/detail/handshake.hpp) on the rest, split at '\n' into
//     method, Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version, Origin and
//     Sec-WebSocket-Protocol. Invariants: the status is one of 101, 400, 403, 426; a 101 has a
//     valid key and a protocol of the server's (or none); a 426 names the field to add.
//   bit 0 clear: the rest is the byte stream after an accepted handshake, read by Beast's
//     websocket stream configured as nodus configures it (a 1 KiB message limit; bit 1 set:
//     permessage-deflate negotiated). Every message read must be within the limit, and text
//     must be valid UTF-8 (Beast's checker); no crash, no leak, no hang.
#include "ws/detail/handshake.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace bws = boost::beast::websocket;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_websocket: invariant failed: %s\n", what);
        std::abort();
    }
}

void fuzz_handshake(std::string_view in) {
    std::string_view f[7];
    for (auto& field : f) {
        auto nl = in.find('\n');
        field = in.substr(0, nl);
        in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    }
    nodus::ws::detail::upgrade_request r;
    r.method = f[0];
    r.upgrade = f[1];
    r.connection = f[2];
    r.key = f[3];
    r.ws_version = f[4];
    r.origin = f[5];
    r.has_origin = !f[5].empty();
    r.protocols = f[6];
    const std::vector<std::string> ours{"chat", "superchat"};
    auto v = nodus::ws::detail::check_upgrade(r, ours, [](std::string_view o) { return o.size() % 2 == 0; });
    check(v.status == 101 || v.status == 400 || v.status == 403 || v.status == 426, "status");
    if (v.status == 101) {
        check(nodus::ws::detail::valid_key(r.key), "101 with an invalid key");
        check(v.protocol.empty() || v.protocol == "chat" || v.protocol == "superchat",
              "a protocol not offered");
    }
    if (v.status == 426) check(!v.extra_name.empty() && !v.extra_value.empty(), "426 without its field");
}

void fuzz_frames(std::string_view in, bool deflate) {
    boost::asio::io_context ioc;
    beast::test::stream server(ioc), peer(ioc);
    server.connect(peer);
    bws::stream<beast::test::stream&> ws(server);
    ws.read_message_max(1024);
    if (deflate) {
        bws::permessage_deflate pmd;
        pmd.server_enable = true;
        pmd.server_max_window_bits = 10;
        pmd.memLevel = 4;
        ws.set_option(pmd);
    }
    std::string hs =
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (deflate) hs += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    hs += "\r\n";
    server.append(hs);
    beast::error_code ec;
    ws.accept(ec);
    check(!ec, "the handshake failed");
    server.append(in);
    server.close_remote();
    beast::flat_buffer b;
    for (int i = 0; i < 256; ++i) {
        ws.read(b, ec);
        if (ec) break;
        check(b.size() <= 1024, "a message over the limit");
        b.consume(b.size());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] & 1) fuzz_handshake(in);
    else fuzz_frames(in, (data[0] & 2) != 0);
    return 0;
}
