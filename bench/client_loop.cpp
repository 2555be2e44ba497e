// The nodus HTTP client's cost per request (bench/client.sh): N GETs of http://127.0.0.1:PORT/
// over a keep-alive agent, C at a time, each body read to its end. Prints the requests made,
// the wall time and this process's user and system CPU time (getrusage), and the connections
// the agent opened.
//
//   client_loop PORT N [C]
#include <nodus/client/client.hpp>
#include <nodus/loop/loop.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }

struct loop_state {
    nodus::client::agent agent;
    nodus::client::options opts;
    long remaining = 0;
    long done = 0;
    long failed = 0;
    std::size_t bytes = 0;
};

void next(loop_state& s) {
    if (s.remaining == 0) return;
    --s.remaining;
    auto req = nodus::client::open(s.opts, [&s](nodus::client::response r) {
        r.on_data([&s](std::string_view c) { s.bytes += c.size(); });
        r.on_end([&s] {
            ++s.done;
            next(s);
        });
    });
    req.on_error([&s](const nodus::client::error& e) {
        if (s.failed++ == 0) std::fprintf(stderr, "client_loop: %s\n", e.message().c_str());
        next(s);
    });
    req.end();
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s PORT N [C]\n", argv[0]);
        return 2;
    }
    loop_state s;
    s.opts.host = "127.0.0.1";
    s.opts.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    s.opts.agent = s.agent;
    s.remaining = std::atol(argv[2]);
    const int concurrency = argc > 3 ? std::atoi(argv[3]) : 1;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < concurrency; ++i) next(s);
    nodus::run();
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("requests=%ld failed=%ld wall=%.3f user=%.3f sys=%.3f connections=%llu bytes=%zu\n", s.done,
                s.failed, wall.count(), seconds(ru.ru_utime), seconds(ru.ru_stime),
                static_cast<unsigned long long>(s.agent.stats().connections_opened), s.bytes);
    s.agent.close_idle();
    return s.failed == 0 ? 0 : 1;
}
