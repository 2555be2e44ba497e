// The TLS tests' server: Hello World, and what a request knows about its transport.
//   GET /        Hello World
//   GET /scheme  "https" when the request came over TLS (req.secure()), "http" otherwise
#include <nodus/nodus.hpp>

void nodus_main(nodus::app& app) {
    app.get("/", [](nodus::request, nodus::response res) { res.end("Hello World\n"); });
    app.get("/scheme",
            [](nodus::request req, nodus::response res) { res.end(req.secure() ? "https" : "http"); });
    app.listen();
}
