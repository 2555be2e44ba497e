// The admin listener: /metrics, /healthz, /readyz and the status page, on their own
// address, so that none of them is public by accident. In a cluster the master serves it
// and gathers the workers' metrics over their channels at each scrape.
#include "admin/detail/admin.hpp"
#include "admin/detail/status.hpp"

#include <nodus/admin/health.hpp>
#include <nodus/cluster/cluster.hpp>
#include <nodus/http/server.hpp>
#include <nodus/log/log.hpp>
#include <nodus/router/router.hpp>

#include "cluster/detail/state.hpp"
#include "http/detail/hooks.hpp"
#include "metrics/detail/process_stats.hpp"
#include "metrics/detail/registry.hpp"

#include <spdlog/logger.h>

#include <memory>
#include <optional>

#include <unistd.h>

namespace nodus::admin::detail {

namespace mdetail = nodus::metrics::detail;

namespace {

struct admin_state {
    config cfg;
    router routes;
    std::optional<server> srv;
    server* main = nullptr;
};

admin_state*& as() {
    static admin_state* s = nullptr;
    return s;
}

// The cluster's own series, in the master only (a worker forked later inherits the source).
void add_cluster(mdetail::snapshot& s) {
    if (!cluster::is_master()) return;
    auto h = cluster::detail::master_status();
    auto workers = cluster::workers();
    double up = 0;
    for (const auto& w : workers) up += w.ready ? 1 : 0;
    family_of(s, "nodus_cluster_workers", "Worker slots configured.", mdetail::kind::gauge)
        .rows.push_back({{}, static_cast<double>(h.slots), {}, 0});
    family_of(s, "nodus_cluster_workers_up", "Workers listening.", mdetail::kind::gauge)
        .rows.push_back({{}, up, {}, 0});
    family_of(s, "nodus_cluster_worker_restarts", "Workers started again after they died.",
              mdetail::kind::counter)
        .rows.push_back({{}, static_cast<double>(h.restarts), {}, 0});
    family_of(s, "nodus_cluster_reloads", "Rolling reloads begun (SIGHUP).", mdetail::kind::counter)
        .rows.push_back({{}, static_cast<double>(h.reloads), {}, 0});
}

// The application server's connections (a single process or a worker).
void add_connections(mdetail::snapshot& s, const server& srv) {
    auto open = static_cast<double>(srv.connections());
    auto parked = static_cast<double>(http::detail::parked_connections(srv));
    family_of(s, "nodus_http_connections_open", "Open HTTP connections.", mdetail::kind::gauge)
        .rows.push_back({{}, open, {}, 0});
    family_of(s, "nodus_http_connections_active", "Open HTTP connections held by the loop (not parked).",
              mdetail::kind::gauge)
        .rows.push_back({{}, open - parked, {}, 0});
    family_of(s, "nodus_http_connections_parked", "Idle keep-alive connections parked outside the loop.",
              mdetail::kind::gauge)
        .rows.push_back({{}, parked, {}, 0});
}

// Per worker: its requests from this scrape when it answered (the master's stats are up to a
// second old), its connections from the shared table.
std::vector<worker_load> loads(const admin_state& a, const mdetail::snapshot& s) {
    std::vector<worker_load> out;
    if (cluster::is_master()) {
        const mdetail::family_snapshot* scraped = nullptr;
        for (const auto& f : s)
            if (f.name == "nodus_cluster_worker_requests") scraped = &f;
        for (const auto& w : cluster::workers()) {
            worker_load l{w.id, w.pid, w.requests, w.connections, w.ready};
            if (scraped && !w.retiring)
                for (const auto& r : scraped->rows)
                    if (!r.labels.empty() && r.labels[0] == std::to_string(w.id))
                        l.requests = static_cast<std::uint64_t>(r.value);
            out.push_back(l);
        }
    } else if (a.main) {
        out.push_back({0, static_cast<int>(::getpid()), a.main->requests(), a.main->connections(),
                       nodus::health::not_ready_reason().empty()});
    }
    return out;
}

double requests_in(const mdetail::snapshot& s) {
    double n = 0;
    for (const auto& f : s)
        if (f.name == "nodus_http_requests")
            for (const auto& r : f.rows) n += r.value;
    return n;
}

// The master's own series, then each worker's, merged; each worker's load apart.
void merge_cluster(cluster::detail::scrape_result got, bool apart,
                   const std::function<void(mdetail::snapshot)>& fn) {
    mdetail::snapshot all;
    mdetail::merge(all, mdetail::collect(), "master", apart);
    mdetail::family_snapshot load{"nodus_cluster_worker_requests",
                                  "HTTP requests answered, by worker.",
                                  mdetail::kind::counter,
                                  {"worker"},
                                  {},
                                  {}};
    for (auto& [id, bytes] : got) {
        mdetail::snapshot one;
        if (!mdetail::decode(bytes, one)) {
            nodus::log::get().error("admin: malformed metrics from worker {}", id);
            continue;
        }
        load.rows.push_back({{std::to_string(id)}, requests_in(one), {}, 0});
        mdetail::merge(all, one, std::to_string(id), apart);
    }
    all.push_back(std::move(load));
    family_of(all, "nodus_cluster_workers_scraped", "Workers that answered this scrape in time.",
              mdetail::kind::gauge)
        .rows.push_back({{}, static_cast<double>(got.size()), {}, 0});
    fn(std::move(all));
}

// Everything the process (single) or the cluster (master) counts, then `fn` with it.
// `apart`: in a cluster, every series of every worker with its `worker` label, none summed.
void gather(std::function<void(mdetail::snapshot)> fn, bool apart = false) {
    if (!cluster::is_master()) {
        fn(mdetail::collect());
        return;
    }
    auto timeout = std::chrono::milliseconds(as()->cfg.admin.scrape_timeout_ms);
    cluster::detail::master_scrape(timeout, [fn = std::move(fn), apart](cluster::detail::scrape_result got) {
        try {
            merge_cluster(std::move(got), apart, fn);
        } catch (const std::exception& e) {
            nodus::log::get().error("admin: scrape failed: {}", e.what());
        }
    });
}

void reply(response res, std::string_view type, std::string body) {
    res.set("Content-Type", type);
    res.set("Cache-Control", "no-store");
    res.end(body);
}

void serve_metrics(request req, response res) {
    bool om = mdetail::wants_openmetrics(req.header("Accept"));
    auto render = [res, om](mdetail::snapshot s) {
        reply(res, om ? mdetail::openmetrics_content_type : mdetail::text_content_type,
              mdetail::render(s, om));
    };
    gather(render, req.has_query("per_worker"));
}

void serve_status_json(request, response res) {
    gather([res](mdetail::snapshot s) {
        auto* a = as();
        if (!a) return;
        bool ready = nodus::health::not_ready_reason().empty();
        reply(res, "application/json", status_json(s, loads(*a, s), ready));
    });
}

void add_routes(admin_state& a) {
    const auto& c = a.cfg.admin;
    a.routes.get(c.metrics_path, serve_metrics);
    nodus::health::mount(a.routes, c.health_path, c.ready_path);
    std::string json_path = c.status_path + ".json";
    a.routes.get(c.status_path, [json_path](request, response res) {
        reply(res, "text/html; charset=utf-8", status_html(json_path));
    });
    a.routes.get(json_path, serve_status_json);
}

} // namespace

void count_server(server& srv) {
    http::detail::count_metrics(srv, true);
    mdetail::start_process_stats();
    server* p = &srv;
    mdetail::add_source([p](mdetail::snapshot& s) { add_connections(s, *p); });
}

void start(const config& cfg, server* main) {
    set_max_lag(std::chrono::milliseconds(cfg.admin.max_loop_lag_ms));
    if (cfg.admin.port == admin_port_off || as()) return;
    auto a = std::make_unique<admin_state>();
    a->cfg = cfg;
    a->main = main;
    add_routes(*a);
    http_config hc = cfg.http;
    hc.drain_timeout_ms = 1000;
    const router* r = &a->routes;
    a->srv.emplace([r](request req, response res) { (*r)(std::move(req), std::move(res)); }, hc);
    a->srv->listen(static_cast<std::uint16_t>(cfg.admin.port), cfg.admin.host);
    mdetail::start_process_stats();
    mdetail::add_source(add_cluster);
    bool v6 = cfg.admin.host.find(':') != std::string::npos;
    nodus::log::get().info("Admin listener at http://{}{}{}:{}{}", v6 ? "[" : "", cfg.admin.host,
                           v6 ? "]" : "", a->srv->port(), cfg.admin.status_path);
    as() = a.release(); // lives as long as the process: its server is on the loop
    // The admin listener outlives the application server's drain (readiness answers 503
    // meanwhile) and closes once that server has closed, so the loop can end.
    if (main) {
        http::detail::server_hooks hooks;
        hooks.on_closed = [] {
            if (auto* s = as(); s && s->srv) s->srv->close();
        };
        http::detail::set_hooks(*main, std::move(hooks));
    }
}

void leave_in_child() noexcept {
    auto* a = as();
    if (!a || !a->srv) return;
    a->srv->close_now();
    a->srv.reset();
}

} // namespace nodus::admin::detail
