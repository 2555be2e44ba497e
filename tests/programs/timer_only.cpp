// A program whose only work is one 100 ms timer: it prints and exits by itself.
#include <nodus/nodus.hpp>

#include <cstdio>

void nodus_main(nodus::app&) {
    nodus::set_timeout(std::chrono::milliseconds(100), [] {
        std::puts("timer fired");
        std::fflush(stdout);
        nodus::set_exit_code(3);
    });
}
