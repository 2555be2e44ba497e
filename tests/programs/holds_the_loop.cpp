// A server that also holds the loop with something of its own, to be stopped by SIGTERM.
// HOLD=interval: a 50 ms interval; HOLD=signal: a SIGUSR2 subscription.
// RELEASE=hook: cancelled from an on_stopping hook; RELEASE=unref: unref()'d at once.
// FLOOD=N: log N lines at startup, then print "flooded" on standard output (with standard
// error a pipe nobody reads, the logging thread is then stuck writing).
#include <nodus/nodus.hpp>

#include <spdlog/logger.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

template <class Handle>
void release(Handle h, const std::string& how) {
    if (how == "unref") h.unref();
    else if (how == "hook") nodus::on_stopping([h]() mutable { h.cancel(); });
}

} // namespace

void nodus_main(nodus::app& app) {
    app.get("/", [](nodus::request, nodus::response res) { res.end("ok\n"); });
    app.listen(); // in a cluster, what follows runs in each worker
    const std::string hold = env("HOLD"), how = env("RELEASE");
    if (hold == "interval") release(nodus::set_interval(std::chrono::milliseconds(50), [] {}), how);
    else if (hold == "signal") release(nodus::on_signal(SIGUSR2, [](int) {}), how);
    if (int lines = std::atoi(env("FLOOD").c_str()); lines > 0) {
        const std::string filler(200, 'x');
        for (int i = 0; i < lines; ++i) nodus::log::get().info("flood line {} {}", i, filler);
        std::puts("flooded");
        std::fflush(stdout);
    }
}
