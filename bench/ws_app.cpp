// A WebSocket echo on / with permessage-deflate, for bench/websocket.sh's idle memory with
// compression negotiated (apps/chat's /echo has none). NODUS_BENCH_WS_NO_TAKEOVER=1 asks
// for no context takeover both ways.
#include <nodus/nodus.hpp>
#include <nodus/ws/websocket.hpp>

#include <cstdlib>

void nodus_main(nodus::app& app) {
    nodus::websocket_route echo{{
        .permessage_deflate = true,
        .deflate_no_context_takeover = std::getenv("NODUS_BENCH_WS_NO_TAKEOVER") != nullptr,
    }};
    echo.on_open([](nodus::websocket ws, const nodus::request&) {
        ws.on_message([ws](std::string_view data, bool binary) { binary ? ws.send_binary(data) : ws.send(data); });
    });
    app.get("/", echo.upgrade());
    app.listen();
}
