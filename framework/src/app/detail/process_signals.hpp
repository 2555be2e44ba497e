#pragma once
// SIGHUP and SIGUSR1 in a single process served by nodus::app (a cluster's master has its
// own handling, and its workers ignore both).
#include <nodus/config/config.hpp>
#include <nodus/http/server.hpp>
#include <nodus/loop/loop.hpp>

#include <string>
#include <vector>

namespace nodus::detail {

/// While alive: SIGHUP re-reads the configuration (the same command line, environment and
/// file) and applies what can change without a restart, `[log]` and the `[http]` size
/// limits and drain deadline, to `cfg` and `srv`; anything else that changed is logged as
/// needing a restart. SIGUSR1 is logged and ignored. Neither subscription keeps the loop
/// alive. `args` is the command line (empty: re-read `cfg.file`, when there is one).
class process_signals {
public:
    /// `tls_srv`: the HTTPS server, whose certificates SIGHUP reads again; null without one.
    process_signals(config& cfg, server& srv, server* tls_srv, std::vector<std::string> args);
    process_signals(const process_signals&) = delete;
    process_signals& operator=(const process_signals&) = delete;
    ~process_signals();

private:
    void on_hangup();
    config reread() const;
    void reload_tls(const config& next);

    config& cfg_;
    server& srv_;
    server* tls_srv_;
    std::vector<std::string> args_;
    signal_handle hup_, usr1_;
};

} // namespace nodus::detail
