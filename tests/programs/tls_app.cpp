// The TLS tests' server: Hello World, and what a request knows about its transport.
//   GET /        Hello World
//   GET /scheme  "https" when the request came over TLS (req.secure()), "http" otherwise
//   /files/...   the directory named by the environment variable TLS_APP_STATIC, when set
//                (static files over TLS are read in pieces: sendfile cannot encrypt)
#include <nodus/nodus.hpp>

#include <cstdlib>

void nodus_main(nodus::app& app) {
    if (const char* dir = std::getenv("TLS_APP_STATIC")) app.use("/files", nodus::static_files(dir));
    app.get("/", [](nodus::request, nodus::response res) { res.end("Hello World\n"); });
    app.get("/scheme",
            [](nodus::request req, nodus::response res) { res.end(req.secure() ? "https" : "http"); });
    app.listen();
}
