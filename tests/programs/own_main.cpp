// An application that keeps its own main(): one call runs the loop, and it reports setup
// errors the way nodus::main does by catching them.
#include <nodus/nodus.hpp>

#include <spdlog/logger.h>

#include <cstdio>

int main(int argc, char** argv) {
    try {
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
    } catch (const nodus::master_exited& m) {
        return m.code();
    } catch (const nodus::help_requested& h) {
        std::fputs(h.what(), stdout);
        return 0;
    } catch (const nodus::config_error& e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 2;
    } catch (const std::system_error& e) {
        nodus::log::get().critical("{}", e.what());
        nodus::log::shutdown();
        return 2;
    }
}
