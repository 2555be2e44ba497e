#include <nodus/app.hpp>
#include <nodus/config/setting.hpp>
#include <nodus/http/server.hpp>
#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>
#include <nodus/tls/tls.hpp>

#include "admin/detail/admin.hpp"
#include "app/detail/cluster_glue.hpp"
#include "http/detail/hooks.hpp"
#include "app/detail/process_signals.hpp"

#include <fmt/format.h>
#include <spdlog/logger.h>

#include <optional>
#include <string>
#include <vector>

namespace nodus {

namespace {

// Stopping waits on the logging thread no longer than on the connections.
void apply_log_wait(const config& cfg) {
    log::set_shutdown_wait(std::chrono::milliseconds(cfg.http.drain_timeout_ms));
}

void apply_loop(const config& cfg) {
    if (cfg.loop.threadpool_size != threadpool_size() && !set_threadpool_size(cfg.loop.threadpool_size))
        log::get().warn(
            "[loop] threadpool_size = {} not applied: the thread pool is already running "
            "with {} thread(s)",
            cfg.loop.threadpool_size, threadpool_size());
}

} // namespace

struct app::state {
    config cfg;
    std::vector<std::string> args; // the command line, for SIGHUP to read it again
    std::optional<server> srv;
    std::optional<server> tls_srv; // [tls] port: the HTTPS listener, same routes
    std::optional<detail::process_signals> signals;
};

app::app(int argc, char** argv, std::string default_config) : st_(std::make_unique<state>()) {
    auto r = parse_config(argc, argv, nullptr, std::move(default_config));
    if (r.action != config_action::run) throw help_requested(std::move(r.text));
    validate(r.cfg);
    apply_settings(r.cfg);
    st_->cfg = std::move(r.cfg);
    st_->args.assign(argv, argv + argc);
    log::init(st_->cfg.log);
    if (!r.unknown_environment.empty())
        log::get().warn(
            "ignoring environment variable(s) that name no setting: {} (settings are listed by "
            "--help)",
            fmt::join(r.unknown_environment, ", "));
    apply_log_wait(st_->cfg);
    apply_loop(st_->cfg);
}

app::app(config cfg) : st_(std::make_unique<state>()) {
    st_->cfg = std::move(cfg);
    apply_settings(st_->cfg);
    log::init(st_->cfg.log);
    apply_log_wait(st_->cfg);
    apply_loop(st_->cfg);
}

app::app(app&&) noexcept = default;
app::~app() = default;

config& app::cfg() noexcept { return st_->cfg; }
const config& app::cfg() const noexcept { return st_->cfg; }

// The HTTPS server is made first, so that a bad certificate is reported before anything
// is bound or forked.
void app::make_tls_server() {
    if (st_->cfg.tls.port == tls_port_off) return;
    const router* r = this;
    st_->tls_srv.emplace([r](request req, response res) { (*r)(std::move(req), std::move(res)); },
                         st_->cfg.http);
    tls::enable(*st_->tls_srv, st_->cfg.tls);
}

void app::listen() {
    if (st_->srv) return;
    const router* r = this;
    st_->srv.emplace([r](request req, response res) { (*r)(std::move(req), std::move(res)); }, st_->cfg.http);
    auto& srv = *st_->srv;
    auto& sc = st_->cfg.server;
    try {
        make_tls_server();
        server* tls_srv = st_->tls_srv ? &*st_->tls_srv : nullptr;
        if (st_->cfg.cluster.workers != 0) {
            detail::listen_clustered(st_->cfg, srv, tls_srv); // returns in a worker only
            return;
        }
        srv.listen(sc.port, sc.host, sc.backlog);
        if (tls_srv) tls_srv->listen(static_cast<std::uint16_t>(st_->cfg.tls.port), sc.host, sc.backlog);
        if (st_->cfg.admin.port != admin_port_off) {
            admin::detail::count_server(srv);
            if (tls_srv) http::detail::count_metrics(*tls_srv, true);
            admin::detail::start(st_->cfg, &srv);
        }
    } catch (...) {
        st_->srv.reset(); // a failed listen() leaves the app as it was, so it may be retried
        st_->tls_srv.reset();
        throw;
    }
    srv.handle_signals(true);
    http::detail::set_close_delay(srv, std::chrono::milliseconds(st_->cfg.admin.drain_delay_ms));
    admin::detail::set_listening(true);
    bool v6 = sc.host.find(':') != std::string::npos;
    log::get().info("Server running at http://{}{}{}:{}/", v6 ? "[" : "", sc.host, v6 ? "]" : "", srv.port());
    server* tls_srv = nullptr;
    if (st_->tls_srv) {
        tls_srv = &*st_->tls_srv;
        tls_srv->handle_signals(true);
        http::detail::set_close_delay(*tls_srv, std::chrono::milliseconds(st_->cfg.admin.drain_delay_ms));
        log::get().info("Server running at https://{}{}{}:{}/", v6 ? "[" : "", sc.host, v6 ? "]" : "",
                        tls_srv->port());
    }
    st_->signals.emplace(st_->cfg, srv, tls_srv, st_->args);
}

std::uint16_t app::port() const noexcept { return st_->srv ? st_->srv->port() : 0; }

std::uint16_t app::tls_port() const noexcept { return st_->tls_srv ? st_->tls_srv->port() : 0; }

void app::close() {
    if (st_->srv) st_->srv->close();
    if (st_->tls_srv) st_->tls_srv->close();
}

} // namespace nodus
