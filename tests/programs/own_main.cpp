// An application that keeps its own main(): one call runs the loop.
#include <nodus/nodus.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    nodus::app app{argc, argv};
    app.get("/", [](nodus::request, nodus::response res) { res.end("own main\n"); });
    int ticks = 0;
    nodus::timer t = nodus::set_interval(std::chrono::milliseconds(20), [&ticks, &t] {
        if (++ticks == 3) {
            t.cancel();
            std::printf("interval ran %d times\n", ticks);
            std::fflush(stdout);
        }
    });
    app.listen();
    return nodus::run();
}
