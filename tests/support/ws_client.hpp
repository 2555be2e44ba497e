#pragma once
// The tests' WebSocket client: Boost.Beast's, blocking, on a connection to 127.0.0.1 with a
// 5 s receive timeout, so a test that waits for a frame that never comes fails instead of
// hanging.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <cstdint>
#include <functional>
#include <string>

namespace nodus::test {

struct ws_client {
    boost::asio::io_context ioc;
    boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws{ioc};
    boost::beast::flat_buffer buf;

    /// Connected and upgraded on `path`; `decorate` may add fields to the upgrade request;
    /// `deflate`: offer permessage-deflate.
    explicit ws_client(std::uint16_t port, const std::string& path = "/ws",
                       std::function<void(boost::beast::websocket::request_type&)> decorate = {},
                       bool deflate = false) {
        if (deflate) {
            boost::beast::websocket::permessage_deflate pmd;
            pmd.client_enable = true;
            ws.set_option(pmd);
        }
        auto& sock = ws.next_layer();
        sock.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        timeval tv{5, 0};
        ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (decorate) ws.set_option(boost::beast::websocket::stream_base::decorator(decorate));
        ws.handshake("127.0.0.1", path);
    }
    /// The next message; throws on close or error.
    std::string read() {
        buf.clear();
        ws.read(buf);
        return boost::beast::buffers_to_string(buf.data());
    }
    /// Reads until the server closes: its close code (0 when the connection just ended).
    int read_close() {
        try {
            for (;;) read();
        } catch (const boost::system::system_error& e) {
            if (e.code() == boost::beast::websocket::error::closed) return ws.reason().code;
            return 0;
        }
    }
    std::uint16_t local_port() { return ws.next_layer().local_endpoint().port(); }
};

} // namespace nodus::test
