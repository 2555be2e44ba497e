// Streaming in both directions, with backpressure:
//   POST /echo          the request body comes straight back, chunk by chunk
//   GET  /stream?bytes= N bytes generated in 64 KiB writes, paced by on_drain
//   GET  /delay?ms=     answers after a timer; other connections are served meanwhile
//   GET  /work?ms=      blocks a thread of the pool for ms (as a slow synchronous call would),
//                       then answers from the loop; other connections are served meanwhile
//   GET  /              Hello World
#include <nodus/nodus.hpp>

#include <charconv>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace {

std::uint64_t number(std::string_view s, std::uint64_t fallback) {
    std::uint64_t v = fallback;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

// Write until the socket pushes back, then continue from on_drain.
void pump(nodus::response res, std::shared_ptr<std::uint64_t> left) {
    static const std::string block(65536, 'x');
    while (*left > 0) {
        auto n = std::min<std::uint64_t>(*left, block.size());
        *left -= n;
        if (!res.write(std::string_view(block).substr(0, n))) {
            if (res.aborted() || res.finished()) return;
            res.on_drain([res, left] { pump(res, left); });
            return;
        }
    }
    res.end();
}

} // namespace

void nodus_main(nodus::app& app) {
    app.get("/", [](nodus::request, nodus::response res) {
        res.set("Content-Type", "text/plain");
        res.end("Hello World\n");
    });

    app.post("/echo", [](nodus::request req, nodus::response res) {
        res.set("Content-Type",
                req.has_header("Content-Type") ? req.header("Content-Type") : "application/octet-stream");
        // The socket's backpressure reaches the client: a full send buffer pauses reading.
        req.on_data([req, res](std::string_view chunk) mutable {
            if (!res.write(chunk)) {
                req.pause();
                res.on_drain([req]() mutable { req.resume(); });
            }
        });
        req.on_end([res]() mutable { res.end(); });
    });

    app.get("/stream", [](nodus::request req, nodus::response res) {
        res.set("Content-Type", "application/octet-stream");
        pump(res, std::make_shared<std::uint64_t>(number(req.query("bytes"), 1 << 20)));
    });

    app.get("/delay", [](nodus::request req, nodus::response res) {
        auto ms = number(req.query("ms"), 100);
        nodus::set_timeout(std::chrono::milliseconds(ms), [res, ms]() mutable {
            res.set("Content-Type", "text/plain");
            res.end("waited " + std::to_string(ms) + " ms\n");
        });
    });

    app.get("/work", [](nodus::request req, nodus::response res) {
        auto ms = std::min<std::uint64_t>(number(req.query("ms"), 100), 60000);
        auto took = std::make_shared<std::uint64_t>(0);
        nodus::queue_work(
            [ms, took] { // a pool thread: blocking is allowed here
                auto t0 = std::chrono::steady_clock::now();
                std::this_thread::sleep_for(std::chrono::milliseconds(ms));
                *took = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                       std::chrono::steady_clock::now() - t0)
                                                       .count());
            },
            [res, took](std::exception_ptr error) mutable { // back on the loop
                if (error) {
                    res.status(500);
                    res.end("work failed\n");
                    return;
                }
                res.set("Content-Type", "text/plain");
                res.end("worked " + std::to_string(*took) + " ms on the pool\n");
            });
    });

    app.listen();
}
