// A server in a process allowed few descriptors (argv[1]), to run out of them on purpose.
// GET /accept_errors answers the server's count of failed accepts.
#include <nodus/nodus.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/resource.h>

int main(int argc, char** argv) {
    rlimit lim{};
    lim.rlim_cur = lim.rlim_max = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 32;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return 2;
    nodus::log_config log;
    log.access_log = false;
    nodus::log::init(log);
    nodus::server* self = nullptr;
    nodus::server srv{[&self](nodus::request req, nodus::response res) {
        if (req.path() == "/accept_errors") res.end(std::to_string(self->accept_errors()));
        else res.end("ok\n");
    }};
    self = &srv;
    srv.listen(0);
    std::printf("Server running at http://127.0.0.1:%u/\n", static_cast<unsigned>(srv.port()));
    std::fflush(stdout);
    srv.handle_signals();
    return nodus::run();
}
