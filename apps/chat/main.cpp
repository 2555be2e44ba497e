// A chat: a page that talks to /chat over a WebSocket and listens to /events with an
// EventSource. Every message sent on /chat reaches every client of every worker.
// Contract: docs/websocket.md ("The chat example"); checked by tests/integration/process_chat_test.cpp.
#include <nodus/nodus.hpp>
#include <nodus/sse/event_stream.hpp>
#include <nodus/ws/websocket.hpp>

#include <cstdint>
#include <list>
#include <string>

#include "page.hpp"

namespace {

std::list<nodus::event_stream> listeners; // the open /events streams of this worker
std::uint64_t last_id = 0; // publications delivered here, in the master's order

} // namespace

void nodus_main(nodus::app& app) {
    nodus::websocket_route chat{{.max_message_bytes = 16 * 1024}};
    chat.on_open([](nodus::websocket ws, const nodus::request&) {
        ws.on_message([](std::string_view text, bool binary) {
            if (!binary) nodus::cluster::publish("chat", text); // to every worker, this one too
        });
    });
    // Every worker hears every message once, in the same order: send it to its clients.
    nodus::cluster::subscribe("chat", [chat](std::string_view text) {
        chat.broadcast(text);
        auto id = std::to_string(++last_id);
        for (auto& l : listeners) l.send({.data = text, .id = id});
    });

    nodus::websocket_route echo;
    echo.on_open([](nodus::websocket ws, const nodus::request&) {
        ws.on_message(
            [ws](std::string_view data, bool binary) { binary ? ws.send_binary(data) : ws.send(data); });
    });

    app.get("/", [](nodus::request, nodus::response res) {
        res.set("Content-Type", "text/html; charset=utf-8");
        res.end(chat_page);
    });
    app.get("/chat", chat.upgrade());
    app.get("/echo", echo.upgrade());
    app.get("/events", [](nodus::request req, nodus::response res) {
        nodus::event_stream events{req, res};
        auto at = listeners.insert(listeners.end(), events);
        events.on_close([at] { listeners.erase(at); });
    });
    app.listen();
}
