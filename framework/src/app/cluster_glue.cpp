// The one place where the cluster meets the HTTP server (cluster/ never includes http/).
#include "app/detail/cluster_glue.hpp"

#include <nodus/app.hpp>

#include "admin/detail/admin.hpp"
#include "cluster/detail/fair_accept.hpp"
#include "cluster/detail/state.hpp"
#include "http/detail/hooks.hpp"
#include "metrics/detail/registry.hpp"
#include "net/detail/listener.hpp"

#include <nodus/admin/health.hpp>
#include <nodus/log/log.hpp>
#include <nodus/tls/tls.hpp>

#include <spdlog/logger.h>

namespace nodus::detail {

namespace {

// Held by the master for the cluster's life, inherited by each worker it forks.
unique_fd bind_tls(const config& cfg) {
    if (cfg.tls.port == tls_port_off) return {};
    auto fd =
        bind_listener(cfg.server.host, static_cast<std::uint16_t>(cfg.tls.port), cfg.server.backlog, false);
    log::get().info("Server running at https://{}/", show_endpoint(cfg.server.host, local_port(fd.get())));
    return fd;
}

// In a worker: the master's certificates when it forked, renewed from the files named by
// its current [tls]; the session ticket keys stay the master's, shared by every worker.
void serve_tls(server& tls_srv, const tls_config& current, int fd) {
    if (auto why = tls::reload(tls_srv, current); !why.empty())
        log::get().error("TLS certificates not read again, serving the ones read at start: {}", why);
    tls_srv.listen_fd(fd);
}

} // namespace

void listen_clustered(const config& cfg, server& srv, server* tls_srv) {
    unique_fd tls_fd = tls_srv ? bind_tls(cfg) : unique_fd{};
    // In the master, run_master returns once the cluster has stopped: the process is done,
    // and the exception carries its exit code past the application's code to main().
    int exit_code = 0;
    // The admin listener is the master's; each forked worker closes its copy at once.
    // Binding it first reports a bad address before any worker starts.
    cluster::detail::on_master_bound([&cfg] { admin::detail::start(cfg, nullptr); });
    auto worker = cluster::detail::run_master(cfg, exit_code);
    if (!worker) throw master_exited(exit_code);
    auto& setup = *worker;
    admin::detail::leave_in_child();
    const bool metrics_on = cfg.admin.port != admin_port_off;

    http::detail::server_hooks hooks;
    hooks.on_count = [](std::size_t open) { cluster::detail::worker_note_count(open); };
    if (setup.fair_accept) hooks.accept_delay = [](unsigned taken) { return cluster::detail::worker_accept_delay(taken); };
    http::detail::set_hooks(srv, std::move(hooks));
    // The worker drains on SIGTERM/SIGINT itself (cluster::detail::worker_serve) and must
    // be able to let its loop end afterwards.
    srv.handle_signals(false);
    // A worker forked by a reload serves with the [http] settings the master re-read.
    http::detail::reconfigure(srv, setup.http);

    cluster::detail::worker_hooks wh;
    if (setup.round_robin) {
        // The master accepts; each connection arrives over the worker's channel.
        http::detail::serve_adopted(srv, setup.port);
        wh.adopt = [&srv](int fd) { http::detail::adopt(srv, fd); };
    } else {
        srv.listen_fd(setup.listen_fd); // the server takes a duplicate; the worker keeps this one
    }
    if (tls_srv) {
        tls_srv->handle_signals(false);
        http::detail::reconfigure(*tls_srv, setup.http);
        serve_tls(*tls_srv, setup.tls, tls_fd.get());
    }
    wh.stop = [&srv, tls_srv](std::function<void()> done) {
        if (tls_srv) {
            http::detail::retire_connections(*tls_srv);
            // The worker is done once both servers have drained.
            auto both = std::make_shared<int>(2);
            auto one = [both, done = std::move(done)] {
                if (--*both == 0 && done) done();
            };
            tls_srv->close(one);
            http::detail::retire_connections(srv);
            srv.close(one);
            return;
        }
        http::detail::retire_connections(srv);
        srv.close(std::move(done));
    };
    wh.connections = [&srv, tls_srv] {
        return static_cast<std::uint64_t>(srv.connections() + (tls_srv ? tls_srv->connections() : 0));
    };
    wh.requests = [&srv, tls_srv] { return srv.requests() + (tls_srv ? tls_srv->requests() : 0); };
    if (metrics_on) {
        if (tls_srv) http::detail::count_metrics(*tls_srv, true);
        admin::detail::count_server(srv);
        wh.metrics = [] { return metrics::detail::encode(metrics::detail::collect()); };
    }
    wh.ready = [] { return nodus::health::not_ready_reason().empty(); };
    admin::detail::set_listening(true);
    cluster::detail::worker_serve(setup, std::move(wh));
}

} // namespace nodus::detail
