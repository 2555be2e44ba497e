// A single process's SIGHUP (re-read the configuration) and SIGUSR1 (reopen the log files): without a
// subscription either would end the process, as their default action does.
#include "app/detail/process_signals.hpp"

#include "http/detail/hooks.hpp"

#include <nodus/config/setting.hpp>
#include <nodus/log/log.hpp>
#include <nodus/tls/tls.hpp>
#include <spdlog/logger.h>

#include <csignal>

namespace nodus::detail {

namespace {

// The [http] settings a running server can take: each is read when a request or a stop
// needs it. The timeouts, and the Server header, stay as they are until a restart.
bool apply_http(http_config& cur, const http_config& next) {
    http_config merged = cur;
    merged.max_header_bytes = next.max_header_bytes;
    merged.max_headers = next.max_headers;
    merged.max_url_bytes = next.max_url_bytes;
    merged.max_body_bytes = next.max_body_bytes;
    merged.high_water_mark = next.high_water_mark;
    merged.drain_timeout_ms = next.drain_timeout_ms;
    const bool rest_changed = next.server_header != cur.server_header ||
        next.header_timeout_ms != cur.header_timeout_ms ||
        next.keep_alive_timeout_ms != cur.keep_alive_timeout_ms ||
        next.request_timeout_ms != cur.request_timeout_ms || next.send_timeout_ms != cur.send_timeout_ms;
    cur = merged;
    return rest_changed;
}

void keep(bool changed, const char* what) {
    if (changed) log::get().warn("SIGHUP: {} changed; it takes a restart, keeping the current value", what);
}

} // namespace

process_signals::process_signals(config& cfg, server& srv, server* tls_srv, std::vector<std::string> args)
    : cfg_(cfg), srv_(srv), tls_srv_(tls_srv), args_(std::move(args)) {
    hup_ = on_signal(SIGHUP, [this](int) { on_hangup(); });
    usr1_ = on_signal(SIGUSR1, [](int) {
        log::reopen();
        log::get().info("SIGUSR1: log files reopened");
    });
    hup_.unref();
    usr1_.unref();
}

process_signals::~process_signals() {
    hup_.cancel();
    usr1_.cancel();
}

// New handshakes get the new certificates; open connections keep theirs. A file that
// cannot be used leaves the current certificates in place.
void process_signals::reload_tls(const config& next) {
    if (!tls_srv_) return;
    keep(next.tls.port != cfg_.tls.port, "[tls] port");
    auto why = tls::reload(*tls_srv_, next.tls);
    if (!why.empty()) {
        log::get().error("SIGHUP: TLS certificates not reloaded, keeping the current ones: {}", why);
        return;
    }
    const int port = cfg_.tls.port;
    cfg_.tls = next.tls;
    cfg_.tls.port = port;
    log::get().info("SIGHUP: TLS certificates reloaded from {}", cfg_.tls.cert);
}

config process_signals::reread() const {
    if (args_.empty()) return load_config_file(cfg_.file);
    std::vector<const char*> argv;
    for (auto& a : args_) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    auto r = parse_config(static_cast<int>(args_.size()), argv.data(), nullptr, cfg_.file);
    validate(r.cfg);
    return std::move(r.cfg);
}

void process_signals::on_hangup() {
    if (args_.empty() && cfg_.file.empty()) {
        log::get().info("SIGHUP: ignored (no configuration file to re-read)");
        return;
    }
    config next;
    try {
        next = reread();
        if (next.log.destination != cfg_.log.destination || next.log.level != cfg_.log.level ||
            next.log.access_log != cfg_.log.access_log || next.log.access_format != cfg_.log.access_format ||
            next.log.access_destination != cfg_.log.access_destination)
            log::init(next.log);
    } catch (const std::exception& e) {
        log::get().error("SIGHUP: the new configuration is invalid, keeping the current one: {}", e.what());
        return;
    }
    cfg_.log = next.log;
    apply_settings(next);
    cfg_.app_settings = std::move(next.app_settings);
    keep(apply_http(cfg_.http, next.http), "[http] timeouts or server_header");
    http::detail::reconfigure(srv_, cfg_.http);
    if (tls_srv_) http::detail::reconfigure(*tls_srv_, cfg_.http);
    reload_tls(next);
    keep(next.server.host != cfg_.server.host || next.server.port != cfg_.server.port ||
             next.server.backlog != cfg_.server.backlog,
         "[server] host/port/backlog");
    keep(next.cluster.workers != cfg_.cluster.workers, "[cluster] workers");
    keep(next.loop.threadpool_size != cfg_.loop.threadpool_size, "[loop] threadpool_size");
    log::get().info(
        "SIGHUP: configuration re-read{}{}; [log], [http] limits and application settings applied",
        cfg_.file.empty() ? "" : " from ", cfg_.file);
}

} // namespace nodus::detail
