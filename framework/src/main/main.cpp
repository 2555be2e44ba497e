// main() for applications linked with nodus::main: they define nodus_main(nodus::app&).
// Setup errors arrive here as exceptions; this is where they become exit codes.
#include <nodus/app.hpp>
#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include <spdlog/logger.h>

#include <cstdio>
#include <optional>
#include <system_error>

void nodus_main(nodus::app& app);

int main(int argc, char** argv) {
    // The app outlives the loop: its servers call its router. run() stays outside the try:
    // the loop never throws, and a setup error must not be confused with one if it did.
    std::optional<nodus::app> app;
    try {
        app.emplace(argc, argv);
        nodus_main(*app);
    } catch (const nodus::master_exited& m) {
        return m.code();
    } catch (const nodus::help_requested& h) {
        std::fputs(h.what(), stdout);
        return 0;
    } catch (const nodus::config_error& e) {
        std::fprintf(stderr, "%s: %s\n", argc > 0 ? argv[0] : "nodus", e.what());
        return 2;
    } catch (const std::system_error& e) {
        nodus::log::get().critical("{}", e.what());
        nodus::log::shutdown();
        return 2;
    }
    return nodus::run();
}
