// A clustered server: run it with --cluster.workers=2 (or auto) and every response
// names the worker that answered.
//
//   GET /            the worker's pid
//   GET /slow?ms=N   the same, after N milliseconds
//   GET /ipc?msg=X   a round trip through the master: "reply from master: X"
//
// Test-only behaviour, by environment:
//   CLUSTER_DEMO_EXIT_AT_START=1  every worker exits with code 3 before serving
#include <nodus/cluster/cluster.hpp>
#include <nodus/nodus.hpp>

#include <cstdlib>
#include <deque>
#include <string>

#include <unistd.h>

void nodus_main(nodus::app& app) {
    app.get("/", [](nodus::request, nodus::response res) {
        res.set("Content-Type", "text/plain");
        res.end(std::to_string(::getpid()) + "\n");
    });

    app.get("/slow", [](nodus::request req, nodus::response res) {
        long ms =
            std::strtol(std::string{req.has_query("ms") ? req.query("ms") : std::string_view{"1000"}}.c_str(),
                        nullptr, 10);
        nodus::set_timeout(std::chrono::milliseconds(ms), [res]() mutable {
            res.set("Content-Type", "text/plain");
            res.end(std::to_string(::getpid()) + "\n");
        });
    });

    // Replies come back in the order the master answers them, which is the order sent.
    static std::deque<nodus::response> waiting;
    app.get("/ipc", [](nodus::request req, nodus::response res) {
        if (!nodus::cluster::send(std::string{req.query("msg")})) {
            res.status(503).end("no master\n");
            return;
        }
        waiting.push_back(res);
    });
    nodus::cluster::on_message([](std::string_view msg) {
        if (waiting.empty()) return;
        auto res = waiting.front();
        waiting.pop_front();
        res.set("Content-Type", "text/plain");
        res.end(std::string{msg});
    });
    nodus::cluster::on_master_message([](int worker, std::string_view msg) {
        nodus::cluster::send(worker, "reply from master: " + std::string{msg});
    });

    app.listen();

    if (nodus::cluster::is_worker() && std::getenv("CLUSTER_DEMO_EXIT_AT_START")) std::exit(3);
}
