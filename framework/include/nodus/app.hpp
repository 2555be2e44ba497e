#pragma once
/** @file
    `nodus::app`: configuration + router + server (+ cluster) in one object.
*/
#include <memory>
#include <string>

#include <nodus/config/config.hpp>
#include <nodus/router/router.hpp>

namespace nodus {

/** An application: routes, a configuration, and the servers and workers it starts.

    @code
    void nodus_main(nodus::app& app) {        // with the nodus::main CMake target
        app.get("/", [](nodus::request, nodus::response res) {
            res.set("Content-Type", "text/plain");
            res.end("Hello World\n");
        });
        app.listen();
    }
    @endcode
*/
class app : public router {
public:
    /** Read the configuration from `--config FILE` (or `default_config` when given and
        it exists), the environment and the flags. On `--help` prints the keys and exits 0;
        on a configuration error prints one line naming file, key and value and exits 2. */
    app(int argc, char** argv, std::string default_config = {});
    /** Use `cfg` as is. */
    explicit app(config cfg = {});
    app(app&&) noexcept;
    ~app();

    config& cfg() noexcept;
    const config& cfg() const noexcept;

    /** Start serving on `[server] host:port` and log
        "Server running at http://HOST:PORT/". Does not block: the loop serves once
        `nodus::run()` runs (the nodus::main target runs it after `nodus_main`).
        With `[cluster] workers` set, the process becomes the master: it binds, forks
        the workers and supervises them, and never returns from this call (it exits with
        the master's exit code); each worker returns from it and serves.
        When binding fails it logs the address and the reason and exits with code 2. */
    void listen();

    /** `listen()` then `nodus::run()`; returns the exit code. */
    int run();

    /** The bound port (useful with port 0). */
    std::uint16_t port() const noexcept;

    /** Graceful stop of the servers this app started. */
    void close();

private:
    struct state;
    std::unique_ptr<state> st_;
};

} // namespace nodus
