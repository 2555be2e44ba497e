// The one place where the cluster meets the HTTP server (cluster/ never includes http/).
#include "app/detail/cluster_glue.hpp"

#include <nodus/app.hpp>

#include "admin/detail/admin.hpp"
#include "cluster/detail/fair_accept.hpp"
#include "cluster/detail/state.hpp"
#include "http/detail/hooks.hpp"
#include "metrics/detail/registry.hpp"

#include <nodus/admin/health.hpp>

namespace nodus::detail {

void listen_clustered(const config& cfg, server& srv) {
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
    if (setup.fair_accept) hooks.accept_delay = [] { return cluster::detail::worker_accept_delay(); };
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
    wh.stop = [&srv](std::function<void()> done) {
        http::detail::retire_connections(srv);
        srv.close(std::move(done));
    };
    wh.connections = [&srv] { return static_cast<std::uint64_t>(srv.connections()); };
    wh.requests = [&srv] { return srv.requests(); };
    if (metrics_on) {
        admin::detail::count_server(srv);
        wh.metrics = [] { return metrics::detail::encode(metrics::detail::collect()); };
    }
    wh.ready = [] { return nodus::health::not_ready_reason().empty(); };
    admin::detail::set_listening(true);
    cluster::detail::worker_serve(setup, std::move(wh));
}

} // namespace nodus::detail
