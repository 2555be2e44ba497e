// Routing cost: one binary, two shapes, chosen by the environment (bench/routing.sh).
//
//   ROUTES_BENCH_ROUTES=1000 (default)  1,000 GET routes, registered in this order:
//                                       /r0/items, /p0/:id, /r1/items, /p1/:id, … /r499/items, /p499/:id
//                                       (500 literal, 500 with a parameter)
//   ROUTES_BENCH_ONLY=PATTERN           just that one route, e.g. /r499/items or /p499/:id
//
// Every handler does the same: 200 text/plain "Hello World\n". Parameter routes read their
// parameter (as a handler would) but the answer does not depend on it.
#include <nodus/nodus.hpp>

#include <cstdlib>
#include <string>

namespace {

void literal(nodus::request, nodus::response res) {
    res.set("Content-Type", "text/plain");
    res.end("Hello World\n");
}

void with_param(nodus::request req, nodus::response res) {
    res.set("Content-Type", "text/plain");
    res.end(req.param("id").empty() ? "Hello World!\n" : "Hello World\n");
}

} // namespace

void nodus_main(nodus::app& app) {
    if (const char* only = std::getenv("ROUTES_BENCH_ONLY"); only && *only) {
        std::string p{only};
        if (p.find(':') != std::string::npos) app.get(p, with_param);
        else app.get(p, literal);
    } else {
        long n = 1000;
        if (const char* s = std::getenv("ROUTES_BENCH_ROUTES"); s && *s) n = std::strtol(s, nullptr, 10);
        for (long i = 0; i < n / 2; ++i) {
            app.get("/r" + std::to_string(i) + "/items", literal);
            app.get("/p" + std::to_string(i) + "/:id", with_param);
        }
    }
    app.listen();
}
