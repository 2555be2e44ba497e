// An event stream that never ends by itself, for the graceful-stop test: GET /events sends
// one event and stays open.
#include <nodus/nodus.hpp>
#include <nodus/sse/event_stream.hpp>

void nodus_main(nodus::app& app) {
    app.get("/events", [](nodus::request req, nodus::response res) {
        nodus::event_stream events{req, res};
        events.send({.data = "hi", .id = "1"});
    });
    app.listen();
}
