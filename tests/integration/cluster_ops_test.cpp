// Metrics, health and the admin listener as an operator sees them: a real program
// (tests/programs/ops_server.cpp), single or with 2 workers, scraped over a real socket and
// read with Prometheus's own text-format parser (python3-prometheus-client).
#include "support/process_harness.hpp"
#include "support/http_client.hpp"
#include "support/request_load.hpp"

#include <cstdio>
#include <map>
#include <sstream>

using namespace process_harness;

namespace {

std::string ops_binary() { return NODUS_BINARY_DIR "/tests/ops_server"; }

std::vector<std::string> args(int workers, std::vector<std::string> more = {}) {
    std::vector<std::string> a{"--cluster.workers=" + std::to_string(workers), "--server.port=0",
                               "--admin.port=0", "--log.access_log=false"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

/// The admin port from "Admin listener at http://HOST:PORT/status".
std::uint16_t admin_port(const process& p) {
    const std::string key = "Admin listener at http://";
    if (!p.wait_for(key, 10s)) return 0;
    auto l = p.log();
    auto pos = l.find(key) + key.size();
    auto slash = l.find('/', pos);
    auto colon = l.rfind(':', slash);
    return static_cast<std::uint16_t>(std::stoi(l.substr(colon + 1, slash - colon - 1)));
}

std::optional<nodus::test::parsed_response> fetch(std::uint16_t port, const std::string& path,
                                                  const std::string& accept = {}) {
    client c;
    if (!c.connect(port)) return std::nullopt;
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
    if (!accept.empty()) req += "Accept: " + accept + "\r\n";
    auto r = c.exchange(req + "\r\n");
    if (r.status == 0) return std::nullopt;
    return r;
}

int status_of(std::uint16_t port, const std::string& path) {
    auto r = fetch(port, path);
    return r ? r->status : 0;
}

/// Samples as Prometheus's parser reads them: `name{sorted labels}` → value. Fails the
/// test when the text does not parse.
std::map<std::string, double> parse(const std::string& text, const char* format = "text") {
    char path[] = "/tmp/nodus-metrics-XXXXXX";
    int fd = ::mkstemp(path);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
    std::string cmd = std::string("/usr/bin/python3 ") + NODUS_SOURCE_DIR +
        "/tests/support/parse_metrics.py " + format + " < " + path;
    std::FILE* f = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    while (f && std::fgets(buf, sizeof buf, f)) out += buf;
    int rc = f ? ::pclose(f) : -1;
    ::unlink(path);
    EXPECT_EQ(rc, 0) << "Prometheus's parser refused the exposition:\n" << text;
    std::map<std::string, double> samples;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto sp = line.rfind(' ');
        samples[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
    }
    return samples;
}

double sample(const std::map<std::string, double>& s, const std::string& key) {
    auto it = s.find(key);
    return it == s.end() ? -1 : it->second;
}

int get_status(std::uint16_t port, const std::string& path, bool keep_alive_client, client& ka) {
    if (keep_alive_client) {
        if (!ka.is_open() && !ka.connect(port)) return 0;
        auto r = ka.get(path, true);
        return r ? r->status : 0;
    }
    client c;
    if (!c.connect(port)) return 0;
    auto r = c.get(path, false);
    return r ? r->status : 0;
}

} // namespace

TEST(cluster_ops, metrics_of_two_workers_in_one_scrape) {
    // A loaded machine must not make a worker miss the scrape.
    process p{args(2, {"--admin.scrape_timeout_ms=10000"}), {}, ops_binary()};
    auto port = p.port();
    auto admin = admin_port(p);
    ASSERT_NE(port, 0) << p.log();
    ASSERT_NE(admin, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();

    // A known mix, over new and reused connections, until both workers have served.
    constexpr int users = 45, missing = 15, booms = 5;
    int roots = 0;
    client ka;
    std::set<int> pids;
    while (roots < 120 || (pids.size() < 2 && roots < 1000)) {
        client c;
        ASSERT_TRUE(c.connect(port));
        auto r = c.get("/", false);
        ASSERT_TRUE(r && r->status == 200);
        pids.insert(std::atoi(r->body.c_str()));
        ++roots;
    }
    for (int i = 0; i < users; ++i)
        ASSERT_EQ(get_status(port, "/users/" + std::to_string(i), i % 2, ka), 200);
    for (int i = 0; i < missing; ++i)
        ASSERT_EQ(get_status(port, "/no/such/" + std::to_string(i), i % 2, ka), 404);
    for (int i = 0; i < booms; ++i) ASSERT_EQ(get_status(port, "/boom", false, ka), 500);
    ka.close();
    EXPECT_EQ(pids.size(), 2u) << "both workers should have served";

    auto r = fetch(admin, "/metrics");
    ASSERT_TRUE(r && r->status == 200) << p.log();
    EXPECT_EQ(r->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    auto s = parse(r->body);
    EXPECT_EQ(sample(s, R"(nodus_http_requests_total{method="GET",route="/",status="2xx"})"), roots);
    EXPECT_EQ(sample(s, R"(nodus_http_requests_total{method="GET",route="/users/:id",status="2xx"})"), users);
    EXPECT_EQ(sample(s, R"(nodus_http_requests_total{method="GET",route="",status="4xx"})"), missing)
        << "unmatched requests are labelled with an empty route, never the raw path";
    EXPECT_EQ(sample(s, R"(nodus_http_requests_total{method="GET",route="/boom",status="5xx"})"), booms);
    EXPECT_EQ(sample(s, R"(nodus_http_request_duration_seconds_count{route="/"})"), roots);
    EXPECT_EQ(sample(s, R"(nodus_http_request_duration_seconds_bucket{le="+Inf",route="/users/:id"})"),
              users);
    EXPECT_GT(sample(s, R"(nodus_http_received_bytes_total{})"), 0);
    EXPECT_GT(sample(s, R"(nodus_http_sent_bytes_total{})"), 0);
    // The application's own series, summed over the workers.
    EXPECT_EQ(sample(s, R"(app_lookups_total{kind="user"})"), users);
    EXPECT_EQ(sample(s, R"(app_id_length_count{})"), users);
    // Gauges per worker; the cluster's own series.
    for (const char* w : {"1", "2"}) {
        EXPECT_GT(sample(s, std::string(R"(process_resident_memory_bytes{worker=")") + w + "\"}"), 0);
        EXPECT_GE(sample(s, std::string(R"(nodus_http_connections_open{worker=")") + w + "\"}"), 0);
    }
    EXPECT_EQ(sample(s, R"(nodus_cluster_workers_up{worker="master"})"), 2);
    EXPECT_EQ(sample(s, R"(nodus_cluster_workers_scraped{})"), 2);
    EXPECT_EQ(sample(s, R"(nodus_cluster_worker_restarts_total{})"), 0);
    EXPECT_GT(sample(s, R"(nodus_loop_lag_seconds_count{})"), 0);
    EXPECT_EQ(sample(s, R"(nodus_access_log_lines_dropped_total{})"), 0) << "absent, or lines lost";
    double per_worker = sample(s, R"(nodus_cluster_worker_requests_total{worker="1"})") +
        sample(s, R"(nodus_cluster_worker_requests_total{worker="2"})");
    EXPECT_EQ(per_worker, roots + users + missing + booms);

    // Every series per worker when asked for: nothing summed.
    auto apart = fetch(admin, "/metrics?per_worker");
    ASSERT_TRUE(apart && apart->status == 200);
    auto a = parse(apart->body);
    double w1 = sample(a, R"(nodus_http_requests_total{method="GET",route="/",status="2xx",worker="1"})");
    double w2 = sample(a, R"(nodus_http_requests_total{method="GET",route="/",status="2xx",worker="2"})");
    EXPECT_GT(w1, 0);
    EXPECT_GT(w2, 0);
    EXPECT_EQ(w1 + w2, roots);
    EXPECT_EQ(sample(a, R"(nodus_http_requests_total{method="GET",route="/",status="2xx"})"), -1);

    // OpenMetrics when asked for, read by the OpenMetrics parser.
    auto om = fetch(admin, "/metrics", "application/openmetrics-text; version=1.0.0,text/plain;q=0.5");
    ASSERT_TRUE(om && om->status == 200);
    EXPECT_EQ(om->header("Content-Type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
    auto o = parse(om->body, "openmetrics");
    EXPECT_EQ(sample(o, R"(nodus_http_requests_total{method="GET",route="/",status="2xx"})"), roots);

    p.signal(SIGTERM);
    auto st = p.wait_exit(10s);
    ASSERT_TRUE(st);
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << p.log();
}

TEST(cluster_ops, refused_requests_are_counted_by_status) {
    process p{args(0, {"--http.max_url_bytes=64"}), {}, ops_binary()};
    auto port = p.port();
    auto admin = admin_port(p);
    ASSERT_NE(admin, 0) << p.log();
    for (int i = 0; i < 3; ++i) {
        client c(port);
        EXPECT_EQ(c.exchange("GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n").status, 414);
    }
    {
        client c(port);
        EXPECT_EQ(c.exchange("GET / HTTP/1.1\r\n\r\n").status, 400); // no Host
    }
    auto r = fetch(admin, "/metrics");
    ASSERT_TRUE(r && r->status == 200);
    auto s = parse(r->body);
    EXPECT_EQ(sample(s, R"(nodus_http_rejected_total{status="414"})"), 3);
    EXPECT_EQ(sample(s, R"(nodus_http_rejected_total{status="400"})"), 1);
    // The admin listener's own requests are not counted.
    r = fetch(admin, "/metrics");
    s = parse(r->body);
    EXPECT_EQ(sample(s, R"(nodus_http_requests_total{method="GET",route="/metrics",status="2xx"})"), -1);
}

TEST(cluster_ops, health_of_a_single_process) {
    process p{args(0), {}, ops_binary()};
    auto port = p.port();
    auto admin = admin_port(p);
    ASSERT_NE(admin, 0) << p.log();
    EXPECT_EQ(status_of(admin, "/healthz"), 200);
    EXPECT_EQ(status_of(admin, "/readyz"), 200);
    EXPECT_EQ(status_of(port, "/live"), 200) << "mounted on the main listener";
    EXPECT_EQ(status_of(port, "/ready-main"), 200);
    EXPECT_EQ(status_of(admin, "/metrics"), 200);
    EXPECT_EQ(status_of(port, "/metrics"), 404) << "metrics are on the admin listener only";
    auto user = fetch(port, "/users/42");
    ASSERT_TRUE(user);
    EXPECT_EQ(user->body, "user 42 /users/:id\n") << "request::route() is the matched pattern";

    EXPECT_EQ(status_of(port, "/not-ready"), 200);
    auto r = fetch(admin, "/readyz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_NE(r->body.find("set not ready"), std::string::npos) << r->body;
    EXPECT_EQ(status_of(port, "/ready-main"), 503);
    EXPECT_EQ(status_of(admin, "/healthz"), 200) << "not ready is not dead";
    EXPECT_EQ(status_of(port, "/ready"), 200);
    EXPECT_EQ(status_of(admin, "/readyz"), 200);

    EXPECT_EQ(status_of(port, "/check-fails"), 200);
    r = fetch(admin, "/readyz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_NE(r->body.find("test switch"), std::string::npos) << r->body;
}

TEST(cluster_ops, paths_are_configurable_and_admin_is_off_by_default) {
    {
        process p{args(0, {"--admin.metrics_path=/m", "--admin.ready_path=/r", "--admin.health_path=/h"}),
                  {},
                  ops_binary()};
        auto admin = admin_port(p);
        ASSERT_NE(admin, 0) << p.log();
        EXPECT_EQ(status_of(admin, "/m"), 200);
        EXPECT_EQ(status_of(admin, "/r"), 200);
        EXPECT_EQ(status_of(admin, "/h"), 200);
        EXPECT_EQ(status_of(admin, "/metrics"), 404);
    }
    process p{{"--server.port=0", "--log.access_log=false"}, {}, ops_binary()};
    ASSERT_NE(p.port(), 0) << p.log();
    EXPECT_EQ(p.count("Admin listener"), 0) << p.log();
}

TEST(cluster_ops, cluster_readiness_follows_the_workers) {
    process p{args(2), {}, ops_binary()};
    auto port = p.port();
    auto admin = admin_port(p);
    ASSERT_NE(admin, 0) << p.log();
    ASSERT_TRUE(wait_until([&] { return status_of(admin, "/readyz") == 200; }, 10s)) << p.log();
    // One worker says it is not ready: the cluster is not (it tells the master within a second).
    int pid = 0;
    {
        client c(port);
        auto r = c.get("/not-ready", false);
        ASSERT_TRUE(r && r->status == 200);
    }
    EXPECT_TRUE(wait_until([&] { return status_of(admin, "/readyz") == 503; }, 5s)) << p.log();
    // Every worker ready again (ask until the one that said no has heard it).
    EXPECT_TRUE(wait_until(
        [&] {
            client c(port);
            c.get("/ready", false);
            return status_of(admin, "/readyz") == 200;
        },
        10s))
        << p.log();
    // A worker killed: not ready until its replacement listens.
    auto w = p.workers();
    ASSERT_FALSE(w.empty());
    pid = w.front();
    ::kill(pid, SIGKILL);
    ASSERT_TRUE(p.wait_for("is listening", 10s, 3)) << p.log();
    EXPECT_TRUE(wait_until([&] { return status_of(admin, "/readyz") == 200; }, 5s)) << p.log();
    auto r = fetch(admin, "/metrics");
    ASSERT_TRUE(r);
    auto s = parse(r->body);
    EXPECT_EQ(sample(s, R"(nodus_cluster_worker_restarts_total{})"), 1);
}

TEST(cluster_ops, master_is_not_ready_before_its_workers_listen) {
    process p{args(2), {"OPS_SERVER_WORKER_START_MS=3000"}, ops_binary()};
    auto admin = admin_port(p);
    ASSERT_NE(admin, 0) << p.log();
    auto r = fetch(admin, "/readyz");
    ASSERT_TRUE(r) << p.log();
    EXPECT_EQ(r->status, 503);
    EXPECT_NE(r->body.find("0 of 2 workers ready"), std::string::npos) << r->body;
    EXPECT_EQ(status_of(admin, "/healthz"), 200) << "the master's own loop is fine";
    EXPECT_TRUE(wait_until([&] { return status_of(admin, "/readyz") == 200; }, 10s)) << p.log();
}

TEST(cluster_ops, master_is_not_ready_while_a_worker_restarts) {
    // Each worker takes 1.5 s to listen, so its restart is a window the probe can see.
    process p{args(2), {"OPS_SERVER_WORKER_START_MS=1500"}, ops_binary()};
    auto admin = admin_port(p);
    ASSERT_NE(admin, 0) << p.log();
    ASSERT_TRUE(wait_until([&] { return status_of(admin, "/readyz") == 200; }, 10s)) << p.log();
    auto w = p.workers();
    ASSERT_EQ(w.size(), 2u);
    ::kill(w[0], SIGKILL);
    ASSERT_TRUE(wait_until([&] { return status_of(admin, "/readyz") == 503; }, 2s)) << p.log();
    auto r = fetch(admin, "/readyz");
    ASSERT_TRUE(r);
    EXPECT_NE(r->body.find("1 of 2 workers ready"), std::string::npos) << r->body;
    EXPECT_TRUE(wait_until([&] { return status_of(admin, "/readyz") == 200; }, 10s)) << p.log();
}

TEST(cluster_ops, a_snapshot_larger_than_one_message_arrives_in_parts) {
    constexpr int n = 4000; // about 120 KB per worker: three parts of at most 60,000 bytes
    process p{args(2), {"OPS_SERVER_SERIES=" + std::to_string(n)}, ops_binary()};
    auto admin = admin_port(p);
    ASSERT_NE(admin, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    auto r = fetch(admin, "/metrics");
    ASSERT_TRUE(r && r->status == 200) << p.log();
    auto s = parse(r->body);
    EXPECT_EQ(sample(s, R"(nodus_cluster_workers_scraped{})"), 2);
    for (std::string w : {"1", "2"}) {
        for (int i : {0, 1234, n - 1}) {
            std::string key = "app_many{index=\"series_" + std::to_string(i) + "\",worker=\"" + w + "\"}";
            EXPECT_EQ(sample(s, key), i) << key;
        }
    }
}

TEST(cluster_ops, a_stuck_worker_is_left_out_of_the_scrape) {
    process p{args(2, {"--admin.scrape_timeout_ms=300"}), {}, ops_binary()};
    auto admin = admin_port(p);
    ASSERT_NE(admin, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    auto w = p.workers();
    ASSERT_EQ(w.size(), 2u);
    ::kill(w[0], SIGSTOP);
    auto start = clock::now();
    auto r = fetch(admin, "/metrics");
    auto took = clock::now() - start;
    ::kill(w[0], SIGCONT);
    ASSERT_TRUE(r && r->status == 200) << p.log();
    auto s = parse(r->body);
    EXPECT_EQ(sample(s, R"(nodus_cluster_workers_scraped{})"), 1);
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 5s);
    // Its late answer is dropped; the next scrape has both again.
    EXPECT_TRUE(wait_until(
        [&] {
            auto again = fetch(admin, "/metrics");
            return again && sample(parse(again->body), R"(nodus_cluster_workers_scraped{})") == 2;
        },
        5s));
}

// SIGTERM under load: readiness answers 503 at once, the workers go on serving for
// drain_delay_ms (a load balancer's time to notice), then drain. A client that stops sending
// once readiness says 503 sees no failed request.
TEST(cluster_ops, readiness_flips_before_the_drain_under_load) {
    process p{args(2, {"--admin.drain_delay_ms=3000"}), {}, ops_binary()};
    auto port = p.port();
    auto admin = admin_port(p);
    ASSERT_NE(admin, 0) << p.log();
    ASSERT_TRUE(wait_until([&] { return status_of(admin, "/readyz") == 200; }, 10s)) << p.log();
    request_load load{port, 3, 2};
    ASSERT_TRUE(wait_until([&] { return load.ok() > 200; }, 10s)) << load.failures();
    p.signal(SIGTERM);
    ASSERT_TRUE(wait_until([&] { return status_of(admin, "/readyz") == 503; }, 2s)) << p.log();
    // Still serving while not ready: the listener has not closed.
    int before = load.ok();
    EXPECT_TRUE(wait_until([&] { return load.ok() > before + 20; }, 2500ms)) << load.failures();
    load.stop();
    EXPECT_EQ(load.failed(), 0) << load.failures();
    auto st = p.wait_exit(10s);
    ASSERT_TRUE(st);
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << p.log();
    EXPECT_LT(p.log().find("not ready; draining in 3000 ms"), p.log().find("cluster: stopping (SIGTERM)"));
}

TEST(cluster_ops, single_process_drain_delay) {
    process p{args(0, {"--admin.drain_delay_ms=1000"}), {}, ops_binary()};
    auto port = p.port();
    auto admin = admin_port(p);
    ASSERT_NE(admin, 0) << p.log();
    p.signal(SIGTERM);
    ASSERT_TRUE(wait_until([&] { return status_of(admin, "/readyz") == 503; }, 2s)) << p.log();
    EXPECT_EQ(status_of(port, "/"), 200) << "the listener stays open during the delay";
    auto st = p.wait_exit(10s);
    ASSERT_TRUE(st);
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << p.log();
}
