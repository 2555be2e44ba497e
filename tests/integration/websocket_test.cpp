// WebSocket routes (nodus::websocket_route) on real loopback sockets, driven by Boost.Beast's
// websocket client and, for what a conforming client never sends, by raw bytes.
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"
#include "support/ws_client.hpp"
#include "ws/detail/connection.hpp"

#include <nodus/router/router.hpp>
#include <nodus/ws/websocket.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using nodus::test::client;
using nodus::test::test_server;
using nodus::test::wait_until;
using nodus::test::ws_client;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bws = boost::beast::websocket;

namespace {

// Routes /ws on a router for the test server.
struct ws_app {
    nodus::router r;
    nodus::websocket_route route;
    explicit ws_app(nodus::websocket_options o = {}) : route(std::move(o)) { r.get("/ws", route.upgrade()); }
};

nodus::websocket_route echo_route(nodus::websocket_options o = {}) {
    nodus::websocket_route route{std::move(o)};
    route.on_open([](nodus::websocket ws, const nodus::request&) {
        ws.on_message(
            [ws](std::string_view data, bool binary) { binary ? ws.send_binary(data) : ws.send(data); });
    });
    return route;
}

// An upgrade request's raw bytes.
std::string upgrade_request(std::string extra = {},
                            std::string key = "dGhlIHNhbXBsZSBub25jZQ==", std::string version = "13") {
    return "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
        key + "\r\nSec-WebSocket-Version: " + version + "\r\n" + extra + "\r\n";
}

} // namespace

// Text and binary messages come back unchanged, fragmented ones whole; the connection has
// left the HTTP server once upgraded.
TEST(websocket, echo_text_binary_and_fragments) {
    nodus::router r;
    auto route = echo_route();
    r.get("/ws", route.upgrade());
    test_server srv{r};
    {
        ws_client c{srv.port()};
        c.ws.text(true);
        c.ws.write(asio::buffer(std::string("hello")));
        EXPECT_EQ(c.read(), "hello");
        EXPECT_TRUE(c.ws.got_text());
        std::string bin("\x00\x01\xff\xfe", 4);
        c.ws.binary(true);
        c.ws.write(asio::buffer(bin));
        EXPECT_EQ(c.read(), bin);
        EXPECT_TRUE(c.ws.got_binary());
        c.ws.text(true);
        c.ws.write_some(false, asio::buffer(std::string("frag")));
        c.ws.write_some(false, asio::buffer(std::string("men")));
        c.ws.write_some(true, asio::buffer(std::string("ted")));
        EXPECT_EQ(c.read(), "fragmented");
        EXPECT_TRUE(wait_until([&] { return srv.connections() == 0; }))
            << "the upgraded connection is still counted";
        EXPECT_EQ(route.size(), 1u);
        c.ws.close(bws::close_code::normal);
    }
    EXPECT_TRUE(wait_until([&] { return route.size() == 0; }));
}

// The closing handshake carries codes both ways.
TEST(websocket, close_codes_both_ways) {
    std::atomic<int> server_saw{0};
    nodus::websocket_route route;
    route.on_open([&](nodus::websocket ws, const nodus::request&) {
        ws.on_close([&](std::uint16_t code, std::string_view) { server_saw = code; });
        ws.on_message([ws](std::string_view data, bool) {
            if (data == "bye") ws.close(4000, "see you");
        });
    });
    nodus::router r;
    r.get("/ws", route.upgrade());
    test_server srv{r};
    {
        ws_client c{srv.port()};
        c.ws.write(asio::buffer(std::string("bye")));
        EXPECT_EQ(c.read_close(), 4000);
        EXPECT_EQ(std::string(c.ws.reason().reason.data(), c.ws.reason().reason.size()), "see you");
    }
    EXPECT_TRUE(wait_until([&] { return server_saw.load() == 4000; })) << server_saw.load();
    {
        ws_client c{srv.port()};
        c.ws.close({bws::close_code::going_away, "leaving"});
        EXPECT_TRUE(wait_until([&] { return server_saw.load() == 1001; })) << server_saw.load();
    }
}

// A message over max_message_bytes closes with 1009; text that is not UTF-8 with 1007.
TEST(websocket, too_big_and_invalid_utf8_are_closed_with_their_codes) {
    auto route = echo_route({.max_message_bytes = 1024});
    nodus::router r;
    r.get("/ws", route.upgrade());
    test_server srv{r};
    {
        ws_client c{srv.port()};
        c.ws.write(asio::buffer(std::string(1000, 'a')));
        EXPECT_EQ(c.read().size(), 1000u);
        c.ws.write(asio::buffer(std::string(2000, 'a')));
        EXPECT_EQ(c.read_close(), 1009);
    }
    {
        ws_client c{srv.port()};
        c.ws.text(true);
        c.ws.write(asio::buffer(std::string("bad \xc3\x28 text")));
        EXPECT_EQ(c.read_close(), 1007);
    }
}

// What conforming clients never send: an unmasked frame, reserved bits, an unknown opcode.
TEST(websocket, protocol_errors_close_with_1002) {
    auto route = echo_route();
    nodus::router r;
    r.get("/ws", route.upgrade());
    test_server srv{r};
    const std::string masked_hi = std::string("\x81\x82\x01\x02\x03\x04", 6) + char('h' ^ 1) + char('i' ^ 2);
    for (std::string frame :
         {std::string("\x81\x02hi", 4), // unmasked
          std::string("\xc1\x82\x01\x02\x03\x04", 6) + char('h' ^ 1) + char('i' ^ 2), // RSV1
          std::string("\x83\x82\x01\x02\x03\x04", 6) + char('h' ^ 1) + char('i' ^ 2)}) { // opcode 3
        client c{srv.port()};
        c.send(upgrade_request());
        auto head = c.read_response(true);
        ASSERT_TRUE(head);
        ASSERT_EQ(head->status, 101);
        EXPECT_EQ(head->header("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        c.send(masked_hi); // a good frame first: echoed
        c.send(frame);
        std::string got = c.read_until_close();
        EXPECT_EQ(got.substr(0, 4), "\x81\x02hi") << "the good frame was not echoed";
        // The close frame: FIN+close, length 2 (or more), code 1002.
        auto at = got.find("\x88");
        ASSERT_NE(at, std::string::npos) << "no close frame";
        ASSERT_GE(got.size(), at + 4);
        EXPECT_EQ(static_cast<unsigned char>(got[at + 2]) * 256 + static_cast<unsigned char>(got[at + 3]),
                  1002);
    }
}

// Bad handshakes get HTTP answers: 400 for a missing or malformed key, 426 naming the version
// for another version, 426 naming the protocol for a plain request, 403 for a refused Origin.
TEST(websocket, bad_handshakes_get_http_answers) {
    auto route = echo_route(
        {.allow_origin = [](std::string_view o) { return o.empty() || o == "https://ok.example"; }});
    nodus::router r;
    r.get("/ws", route.upgrade());
    test_server srv{r};
    auto ask = [&](const std::string& req) { return client{srv.port()}.exchange(req); };
    auto missing_key =
        ask("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_EQ(missing_key.status, 400);
    EXPECT_EQ(ask(upgrade_request({}, "short")).status, 400);
    EXPECT_EQ(ask(upgrade_request({}, "dGhlIHNhbXBsZSBub25jZQ=")).status, 400);
    auto v12 = ask(upgrade_request({}, "dGhlIHNhbXBsZSBub25jZQ==", "12"));
    EXPECT_EQ(v12.status, 426);
    EXPECT_EQ(v12.header("Sec-WebSocket-Version"), "13");
    auto plain = ask("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(plain.status, 426);
    EXPECT_EQ(plain.header("Upgrade"), "websocket");
    EXPECT_EQ(ask("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                  .status,
              400);
    EXPECT_EQ(ask(upgrade_request("Origin: https://evil.example\r\n")).status, 403);
    auto ok = ask(upgrade_request("Origin: https://ok.example\r\n"));
    EXPECT_EQ(ok.status, 101);
}

// The first of the server's protocols that the client offers is chosen.
TEST(websocket, subprotocol_negotiation) {
    std::string chosen;
    auto route = echo_route({.protocols = {"chat.v2", "chat.v1"}});
    route.on_open([&](nodus::websocket ws, const nodus::request&) { chosen = std::string(ws.protocol()); });
    nodus::router r;
    r.get("/ws", route.upgrade());
    test_server srv{r};
    bws::response_type res;
    {
        ws_client c{srv.port(), "/ws", [](bws::request_type& req) {
                        req.set(beast::http::field::sec_websocket_protocol, "chat.v1, chat.v2");
                    }};
        c.ws.close(bws::close_code::normal);
    }
    EXPECT_TRUE(wait_until([&] { return route.size() == 0; }));
    EXPECT_EQ(chosen, "chat.v2");
    auto offered_none = client{srv.port()}.exchange(upgrade_request("Sec-WebSocket-Protocol: other\r\n"));
    EXPECT_EQ(offered_none.status, 101);
    EXPECT_FALSE(offered_none.has_header("Sec-WebSocket-Protocol"));
}

// Keep-alive pings keep a quiet client that answers them (a reading client does) connected
// long past the idle timeout; a peer that answers nothing is closed.
TEST(websocket, pings_keep_live_peers_and_idle_ones_are_closed) {
    std::atomic<int> closed{0};
    nodus::websocket_route route{{.idle_timeout = 300ms}};
    route.on_open([&](nodus::websocket ws, const nodus::request&) {
        ws.on_close([&](std::uint16_t, std::string_view) { ++closed; });
    });
    nodus::router r;
    r.get("/ws", route.upgrade());
    test_server srv{r};
    client silent{srv.port()};
    silent.send(upgrade_request());
    ASSERT_EQ(silent.read_response(true)->status, 101);
    ws_client live{srv.port()};
    std::atomic<int> pings{0};
    live.ws.control_callback([&](bws::frame_type kind, beast::string_view) {
        if (kind == bws::frame_type::ping) ++pings;
    });
    // The live client sends nothing: it only reads, which answers the pings.
    std::string got;
    std::thread reader([&] {
        try {
            got = live.read();
        } catch (const std::exception&) {}
    });
    EXPECT_TRUE(silent.closed_within(3s)) << "a peer that answers no ping was not closed";
    EXPECT_TRUE(wait_until([&] { return closed.load() == 1; }));
    EXPECT_TRUE(wait_until([&] { return pings.load() >= 4; }, 5s)) << pings.load() << " pings";
    srv.on_loop([&] { route.broadcast("still there"); });
    reader.join();
    EXPECT_EQ(got, "still there") << "the live client was closed";
    EXPECT_EQ(closed.load(), 1);
    live.ws.close(bws::close_code::normal);
    EXPECT_TRUE(wait_until([&] { return closed.load() == 2; }));
}

// A client that does not read: send() reports the high-water mark, and past max_buffered the
// connection is closed with 1008 (or, with overflow::drop, the message is dropped).
TEST(websocket, send_backpressure_and_overflow) {
    for (auto policy :
         {nodus::websocket_options::overflow::close, nodus::websocket_options::overflow::drop}) {
        std::atomic<bool> saw_false{false};
        std::atomic<int> refused{0};
        std::atomic<int> closed_with{0};
        nodus::websocket_route route{
            {.high_water_mark = 64 * 1024, .max_buffered = 1024 * 1024, .on_overflow = policy}};
        route.on_open([&](nodus::websocket ws, const nodus::request&) {
            ws.on_close([&](std::uint16_t code, std::string_view) { closed_with = code; });
            ws.on_message([&, ws](std::string_view, bool) {
                std::string chunk(256 * 1024, 'z');
                for (int i = 0; i < 400 && ws.is_open(); ++i) {
                    if (!ws.send(chunk)) {
                        saw_false = true;
                        if (ws.buffered() + chunk.size() > 1024 * 1024) ++refused;
                    }
                }
            });
        });
        nodus::router r;
        r.get("/ws", route.upgrade());
        test_server srv{r};
        client raw{srv.port()};
        raw.send(upgrade_request());
        ASSERT_EQ(raw.read_response(true)->status, 101);
        raw.send(std::string("\x81\x82\x01\x02\x03\x04", 6) + char('g' ^ 1) + char('o' ^ 2));
        ASSERT_TRUE(wait_until([&] { return saw_false.load(); }));
        // The high-water mark is passed first; the loop goes on sending until the hard limit.
        EXPECT_TRUE(wait_until([&] { return refused.load() > 0; })) << "max_buffered never refused a send";
        if (policy == nodus::websocket_options::overflow::close) {
            raw.close();
            EXPECT_TRUE(wait_until([&] { return closed_with.load() != 0; }));
        } else {
            EXPECT_EQ(route.size(), 1u) << "drop closed the connection";
            raw.close();
            EXPECT_TRUE(wait_until([&] { return route.size() == 0; }));
        }
    }
}

// Pause stops on_message until resume; messages sent meanwhile arrive after it, in order.
TEST(websocket, pause_and_resume_receiving) {
    std::vector<std::string> got;
    std::atomic<int> count{0};
    nodus::websocket_route route;
    nodus::websocket held;
    route.on_open([&](nodus::websocket ws, const nodus::request&) {
        held = ws;
        ws.on_message([&, ws](std::string_view d, bool) {
            got.emplace_back(d);
            ++count;
            if (d == "pause") ws.pause();
        });
    });
    nodus::router r;
    r.get("/ws", route.upgrade());
    test_server srv{r};
    ws_client c{srv.port()};
    for (auto m : {"pause", "a", "b"}) c.ws.write(asio::buffer(std::string(m)));
    ASSERT_TRUE(wait_until([&] { return count.load() >= 1; }));
    EXPECT_FALSE(wait_until([&] { return count.load() > 1; }, 200ms)) << "a message arrived while paused";
    srv.on_loop([&] { held.resume(); });
    EXPECT_TRUE(wait_until([&] { return count.load() == 3; }));
    srv.on_loop([&] {
        EXPECT_EQ(got, (std::vector<std::string>{"pause", "a", "b"}));
        held = {};
    });
    c.ws.close(bws::close_code::normal);
    EXPECT_TRUE(wait_until([&] { return route.size() == 0; }));
}

// broadcast() reaches every open connection of the route.
TEST(websocket, broadcast_reaches_every_connection) {
    nodus::websocket_route route;
    // By reference: a route whose own callback holds a copy of it would never be freed.
    route.on_open([&route](nodus::websocket ws, const nodus::request&) {
        ws.on_message([&route](std::string_view d, bool) { route.broadcast(d); });
    });
    nodus::router r;
    r.get("/ws", route.upgrade());
    test_server srv{r};
    ws_client a{srv.port()}, b{srv.port()}, c{srv.port()};
    ASSERT_TRUE(wait_until([&] { return route.size() == 3; }));
    b.ws.write(asio::buffer(std::string("to all")));
    EXPECT_EQ(a.read(), "to all");
    EXPECT_EQ(b.read(), "to all");
    EXPECT_EQ(c.read(), "to all");
    for (auto* x : {&a, &b, &c}) x->ws.close(bws::close_code::normal);
    EXPECT_TRUE(wait_until([&] { return route.size() == 0; }));
}

// An exception from on_message closes that connection with 1011; the server goes on.
TEST(websocket, throwing_callback_closes_with_1011) {
    nodus::websocket_route route;
    route.on_open([](nodus::websocket ws, const nodus::request&) {
        ws.on_message([](std::string_view, bool) { throw std::runtime_error("boom"); });
    });
    nodus::router r;
    r.get("/ws", route.upgrade());
    r.get("/", [](nodus::request, nodus::response res) { res.end("still here\n"); });
    test_server srv{r};
    {
        ws_client c{srv.port()};
        c.ws.write(asio::buffer(std::string("x")));
        EXPECT_EQ(c.read_close(), 1011);
    }
    auto after = client{srv.port()}.get("/");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->body, "still here\n");
}

// permessage-deflate, when offered by the client and enabled, carries messages unchanged.
TEST(websocket, permessage_deflate) {
    auto route = echo_route({.permessage_deflate = true});
    nodus::router r;
    r.get("/ws", route.upgrade());
    test_server srv{r};
    asio::io_context ioc;
    bws::stream<asio::ip::tcp::socket> ws{ioc};
    bws::permessage_deflate pmd;
    pmd.client_enable = true;
    ws.set_option(pmd);
    ws.next_layer().connect({asio::ip::make_address("127.0.0.1"), srv.port()});
    bws::response_type res;
    ws.handshake(res, "127.0.0.1", "/ws");
    EXPECT_NE(std::string(res[beast::http::field::sec_websocket_extensions]).find("permessage-deflate"),
              std::string::npos);
    std::string text(10000, 'q');
    ws.write(asio::buffer(text));
    beast::flat_buffer buf;
    ws.read(buf);
    EXPECT_EQ(beast::buffers_to_string(buf.data()), text);
    ws.close(bws::close_code::normal);
    EXPECT_TRUE(wait_until([&] { return route.size() == 0; }));
}

// Idle connections are parked: after their messages, none keeps a read buffer, a partial
// message, an unsent queue or (without context takeover) zlib state; a connection in the
// middle of a frame does keep its bytes; and parked ones still echo.
TEST(websocket, idle_connections_hold_no_buffers) {
    using nodus::detail::ws_stats::connections;
    using nodus::detail::ws_stats::holding_buffers;
    auto plain = echo_route({.handshake_timeout = 400ms});
    auto zipped = echo_route(
        {.handshake_timeout = 400ms, .permessage_deflate = true, .deflate_no_context_takeover = true});
    nodus::router r;
    r.get("/ws", plain.upgrade());
    r.get("/z", zipped.upgrade());
    test_server srv{r};
    std::vector<std::unique_ptr<ws_client>> clients;
    for (int i = 0; i < 12; ++i) {
        bool z = i % 3 == 0;
        clients.push_back(std::make_unique<ws_client>(srv.port(), z ? "/z" : "/ws", nullptr, z));
    }
    for (auto& c : clients) {
        c->ws.write(asio::buffer(std::string(3000, 'm')));
        EXPECT_EQ(c->read().size(), 3000u);
    }
    auto held = [&] {
        std::size_t n = 0;
        srv.on_loop([&] { n = holding_buffers(); });
        return n;
    };
    std::size_t open = 0;
    srv.on_loop([&] { open = connections(); });
    EXPECT_EQ(open, 12u);
    EXPECT_TRUE(wait_until([&] { return held() == 0; }, 3s)) << held() << " connections hold buffers";

    // Half a frame: that connection keeps the payload so far (and the counter sees it).
    client raw{srv.port()};
    raw.send(upgrade_request());
    ASSERT_EQ(raw.read_response(true)->status, 101);
    std::string payload(200, 'p');
    std::string frame = std::string("\x82\xfe\x00\xc8\x01\x02\x03\x04", 8);
    for (std::size_t i = 0; i < payload.size(); ++i) frame += static_cast<char>(payload[i] ^ (i % 4 + 1));
    raw.send(frame.substr(0, 108));
    EXPECT_TRUE(wait_until([&] { return held() == 1; }, 3s)) << held();
    raw.send(frame.substr(108));
    raw.set_timeout(5s);
    std::string echo(204, '\0');
    std::size_t got = 0;
    while (got < echo.size()) {
        auto n = ::recv(raw.fd(), echo.data() + got, echo.size() - got, 0);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    EXPECT_EQ(echo, std::string("\x82\x7e\x00\xc8", 4) + payload);
    EXPECT_TRUE(wait_until([&] { return held() == 0; }, 3s)) << held();

    // Parked connections wake up and echo.
    for (auto& c : clients) {
        c->ws.write(asio::buffer(std::string("again")));
        EXPECT_EQ(c->read(), "again");
    }
    for (auto& c : clients) c->ws.close(bws::close_code::normal);
    raw.close();
    EXPECT_TRUE(wait_until([&] { return plain.size() == 0 && zipped.size() == 0; }));
}
