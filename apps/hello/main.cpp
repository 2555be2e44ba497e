#include <nodus/nodus.hpp>

void nodus_main(nodus::app& app) {
    app.get("/", [](nodus::request, nodus::response res) {
        res.set("Content-Type", "text/plain");
        res.end("Hello World\n");
    });
    app.listen(); // Server running at http://127.0.0.1:1337/
}
