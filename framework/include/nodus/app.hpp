#pragma once
/** @file
    `nodus::app`: configuration + router + server (+ cluster) in one object.
*/
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include <nodus/config/config.hpp>
#include <nodus/router/router.hpp>

namespace nodus {

/** Thrown by `app(argc, argv)` when the command line asks for `--help` or `--version`:
    not an error, but the program has nothing to run. `what()` is the text to print on
    standard output; the program then exits with code 0. */
class help_requested : public std::exception {
public:
    explicit help_requested(std::string text) : text_(std::move(text)) {}
    const char* what() const noexcept override { return text_.c_str(); }

private:
    std::string text_;
};

/** Thrown by `app::listen()` in a cluster's master once the cluster has stopped (after
    `SIGTERM`, or a crash loop): the master's work is done and the process should end with
    `code()`. `nodus::main` returns it from `main()`; a program with its own `main()` does the
    same. Workers never see it: `listen()` returns in them. */
class master_exited : public std::exception {
public:
    explicit master_exited(int code) noexcept : code_(code) {}
    int code() const noexcept { return code_; }
    const char* what() const noexcept override { return "the cluster master has stopped"; }

private:
    int code_;
};

/** An application: routes, a configuration, and the servers and workers it starts.

    With the `nodus::main` CMake target the framework provides `main()`: it constructs the
    app, calls `nodus_main`, then runs the loop.
    @code
    void nodus_main(nodus::app& app) {
        app.get("/", [](nodus::request, nodus::response res) {
            res.set("Content-Type", "text/plain");
            res.end("Hello World\n");
        });
        app.listen();
    }
    @endcode

    @par Lifetime
    The app must outlive `nodus::run()`: its server dispatches every request to it. Do not
    move it after `listen()`.

    @par Errors
    Setup throws; it never ends the process. `nodus::main` turns what the constructor and
    `listen()` throw into the program's exit: `help_requested` prints its text to standard
    output and exits 0; `config_error` prints "PROGRAM: MESSAGE" (naming file, key and
    value) to standard error and exits 2; `std::system_error` (the address cannot be bound)
    logs the message at critical level and exits 2. A program with its own `main()` gets
    the same behaviour by catching them (`critical` needs `<spdlog/logger.h>`):
    @code
    int main(int argc, char** argv) {
        try {
            nodus::app app{argc, argv};
            app.get("/", ...);
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
    @endcode
*/
class app : public router {
public:
    /** Read the configuration from `--config FILE` (or `default_config` when given and
        it exists), the environment and the flags, then create the loggers.
        @throws help_requested on `--help` or `--version`.
        @throws config_error naming file, key and value when the configuration is wrong. */
    app(int argc, char** argv, std::string default_config = {});
    /** Use `cfg` as is.
        @throws config_error when the log destination cannot be opened. */
    explicit app(config cfg = {});
    app(app&&) noexcept;
    ~app();

    config& cfg() noexcept;
    const config& cfg() const noexcept;

    /** Start serving on `[server] host:port` and log
        "Server running at http://HOST:PORT/". Does not block: the loop serves once
        `nodus::run()` runs (the nodus::main target runs it after `nodus_main`).
        With `[cluster] workers` set, the process becomes the master: it binds, forks
        the workers and supervises them, and never returns from this call: once the
        cluster has stopped it throws `master_exited` with the master's exit code; each
        worker returns from it and serves.
        With `[tls] port` set, an HTTPS listener on the same host serves the same routes
        beside it (docs/tls.md) and "Server running at https://HOST:PORT/" is logged too.
        @throws std::system_error naming the address and the reason when binding fails
        (in cluster mode, in the master before any worker is forked).
        @throws config_error naming the certificate or key file that cannot be used. */
    void listen();

    /** The bound port (useful with port 0). */
    std::uint16_t port() const noexcept;

    /** The HTTPS listener's bound port; 0 without `[tls] port` (or in a cluster's worker
        before it serves). */
    std::uint16_t tls_port() const noexcept;

    /** Graceful stop of the servers this app started. */
    void close();

private:
    void make_tls_server();

    struct state;
    std::unique_ptr<state> st_;
};

} // namespace nodus
