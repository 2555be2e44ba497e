// A server for the metrics, health and status page tests (tests/integration/cluster_ops_test.cpp,
// tests/node/status_page.test.mjs): a few routes with patterns, an application counter and
// histogram, and readiness the test can switch.
//
//   GET /              the worker's pid
//   GET /users/:id     "user ID"; counts app_lookups_total{kind="user"}, observes app_id_length
//   POST /echo         the body
//   GET /boom          500 (the handler throws)
//   GET /slow?ms=N     the pid, after N milliseconds
//   GET /not-ready     this process says it is not ready; /ready undoes it
//   GET /check-fails   a readiness check of this process fails from now on
//   /live and /ready-main: liveness and readiness mounted on the main listener
//
// OPS_SERVER_SERIES=N: a gauge family app_many with N series (value = index), so a worker's
// snapshot outgrows one IPC message.
// OPS_SERVER_WORKER_START_MS=N: each worker blocks its loop for N ms after listen(), so it
// announces "listening" that much later (readiness before the workers are ready).
#include <nodus/admin/health.hpp>
#include <nodus/metrics/metrics.hpp>
#include <nodus/nodus.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace {
bool check_ok = true;
}

void nodus_main(nodus::app& app) {
    static auto lookups = nodus::metrics::add_counter("app_lookups_total", "Lookups by kind.", {"kind"});
    static auto user_lookups = lookups.with({"user"});
    static auto id_length =
        nodus::metrics::add_histogram("app_id_length", "Length of looked-up ids.", {1, 2, 4, 8, 16}).with({});
    nodus::health::add_check("test switch", [] { return check_ok; });
    if (const char* n = std::getenv("OPS_SERVER_SERIES")) {
        auto many = nodus::metrics::add_gauge("app_many", "Many series.", {"index"});
        for (int i = 0; i < std::atoi(n); ++i) many.with({"series_" + std::to_string(i)}).set(i);
    }

    app.get("/", [](nodus::request, nodus::response res) {
        res.set("Content-Type", "text/plain");
        res.end(std::to_string(::getpid()) + "\n");
    });
    app.get("/users/:id", [](nodus::request req, nodus::response res) {
        user_lookups.inc();
        id_length.observe(static_cast<double>(req.param("id").size()));
        res.end("user " + std::string(req.param("id")) + " " + std::string(req.route()) + "\n");
    });
    app.post("/echo", [](nodus::request req, nodus::response res) {
        req.body(1 << 20, [res](std::error_code ec, std::string body) {
            if (!ec) res.end(body);
        });
    });
    app.get("/boom", [](nodus::request, nodus::response) { throw std::runtime_error("boom"); });
    app.get("/slow", [](nodus::request req, nodus::response res) {
        long ms = std::strtol(std::string(req.query("ms")).c_str(), nullptr, 10);
        nodus::set_timeout(std::chrono::milliseconds(ms),
                           [res] { res.end(std::to_string(::getpid()) + "\n"); });
    });
    app.get("/not-ready", [](nodus::request, nodus::response res) {
        nodus::health::set_ready(false);
        res.end("ok\n");
    });
    app.get("/ready", [](nodus::request, nodus::response res) {
        nodus::health::set_ready(true);
        res.end("ok\n");
    });
    app.get("/check-fails", [](nodus::request, nodus::response res) {
        check_ok = false;
        res.end("ok\n");
    });
    nodus::health::mount(app, "/live", "/ready-main");
    app.listen();
    if (const char* ms = std::getenv("OPS_SERVER_WORKER_START_MS"); ms && nodus::cluster::is_worker())
        ::usleep(static_cast<useconds_t>(std::atoi(ms)) * 1000);
}
