// The smallest program built against an installed nodus: its nodus::main runs this.
#include <nodus/nodus.hpp>

void nodus_main(nodus::app& app) {
    app.get("/", [](nodus::request, nodus::response res) { res.end("installed\n"); });
    app.listen();
}
