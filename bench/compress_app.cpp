// The compression middleware's cost (bench/compress.sh): serves one file, read at startup from
// the path in argv[1], as a stream of 64 KiB writes through nodus::compression(); GET /cpu
// answers the process's CPU time (user + system) in microseconds, so the script can charge
// each run exactly. Prints the port on standard output once it listens.
#include <nodus/nodus.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <sys/resource.h>

namespace {
long long cpu_us() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}
} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE [LEVEL]\n", argv[0]);
        return 2;
    }
    std::ifstream f{argv[1], std::ios::binary};
    std::stringstream ss;
    ss << f.rdbuf();
    auto data = std::make_shared<const std::string>(ss.str());
    int level = argc > 2 ? std::stoi(argv[2]) : 6;

    nodus::router r;
    r.use(nodus::compression({.level = level}));
    r.get("/cpu", [](nodus::request, nodus::response res) { res.end(std::to_string(cpu_us())); });
    r.get("/data", [data](nodus::request, nodus::response res) {
        res.set("Content-Type", "text/plain");
        auto at = std::make_shared<std::size_t>(0);
        auto pump = std::make_shared<std::function<void()>>();
        *pump = [res, data, at] {
            while (*at < data->size()) {
                auto n = std::min<std::size_t>(64 * 1024, data->size() - *at);
                bool more = res.write(std::string_view{*data}.substr(*at, n));
                *at += n;
                if (!more) return; // on_drain continues
            }
            res.end();
        };
        res.on_drain([pump] { (*pump)(); });
        (*pump)();
    });
    nodus::server srv{std::ref(r)};
    srv.listen(0);
    srv.handle_signals();
    std::printf("%u\n", static_cast<unsigned>(srv.port()));
    std::fflush(stdout);
    return nodus::run();
}
