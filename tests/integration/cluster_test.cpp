// The cluster as an operator sees it: a real master and real workers (apps/cluster_demo),
// real signals, every wait bounded, and no process of the tree left behind.
#include "support/process_harness.hpp"
#include "support/http_client.hpp"
#include "support/request_load.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string_view>

#include <sys/resource.h>

using namespace process_harness;

namespace {

std::vector<std::string> args(int workers, std::vector<std::string> more = {}) {
    std::vector<std::string> a{"--cluster.workers=" + std::to_string(workers), "--server.port=0",
                               "--log.access_log=false"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

void expect_tree_gone(int pgid, std::chrono::milliseconds within) {
    auto end = clock::now() + within;
    while (!group_members(pgid).empty() && clock::now() < end) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(group_members(pgid).empty()) << "processes of the tree still running";
}

} // namespace

TEST(cluster, both_workers_serve) {
    process p{args(2)};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    std::set<int> pids;
    for (int i = 0; i < 400 && pids.size() < 2; ++i) {
        int pid = get_pid(port);
        ASSERT_NE(pid, 0);
        pids.insert(pid);
    }
    EXPECT_EQ(pids.size(), 2u);
    EXPECT_FALSE(pids.count(p.pid())) << "the master must not serve";
    auto w = p.workers();
    EXPECT_EQ(std::set<int>(w.begin(), w.end()), pids);
    p.signal(SIGTERM);
    auto st = p.wait_exit(10s);
    ASSERT_TRUE(st);
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
    expect_tree_gone(p.pid(), 2s);
}

// A forked worker's table is copied at the size its open descriptors need: each worker grows
// its own before it takes connections (net/detail/descriptor_table.hpp).
TEST(cluster, every_worker_grows_its_descriptor_table_before_it_serves) {
    rlimit lim{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
    const auto want = std::min<std::size_t>(lim.rlim_cur, 65536);
    for (const char* balance : {"shared", "reuseport", "round_robin"}) {
        process p{args(2, {std::string("--cluster.balance=") + balance})};
        ASSERT_NE(p.port(), 0) << p.log();
        ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
        auto workers = p.workers();
        ASSERT_EQ(workers.size(), 2u) << p.log();
        for (int w : workers) EXPECT_GE(descriptor_table_size(w), want) << balance << " worker " << w;
        if (std::string_view(balance) != "round_robin") continue;
        // The master accepts for them in round_robin, and grew its own table first: a worker
        // it forks after that must still grow its own.
        EXPECT_GE(descriptor_table_size(p.pid()), want);
        ::kill(workers[0], SIGKILL);
        ASSERT_TRUE(p.wait_for("is listening", 5s, 3)) << p.log();
        for (int w : p.workers()) EXPECT_GE(descriptor_table_size(w), want) << "worker " << w;
    }
}

TEST(cluster, ipc_round_trip) {
    process p{args(2)};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    for (int i = 0; i < 20; ++i) {
        client c;
        ASSERT_TRUE(c.connect(port));
        auto msg = "hello" + std::to_string(i);
        auto r = c.get("/ipc?msg=" + msg, false);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body, "reply from master: " + msg);
    }
}

TEST(cluster, kill_9_worker_is_replaced) {
    process p{args(2)};
    auto port = p.port();
    ASSERT_NE(port, 0);
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    auto before = p.workers();
    ASSERT_EQ(before.size(), 2u);
    int victim = before[0], survivor = before[1];

    request_load l{port, 0, 2};
    ASSERT_TRUE(wait_until([&] { return l.ok() >= 20; }, 5s)) << "the load is being served";
    ::kill(victim, SIGKILL);
    ASSERT_TRUE(p.wait_for("was killed by signal SIGKILL", 5s)) << p.log();
    ASSERT_TRUE(p.wait_for("is listening", 5s, 3)) << p.log();
    // Until the replacement has served some of the load.
    wait_until(
        [&] {
            auto served = l.pids();
            return std::any_of(served.begin(), served.end(),
                               [&](int pid) { return pid != victim && pid != survivor; });
        },
        3s);
    wait_until([&] { return l.ok() > 100; }, 10s);
    l.stop();

    auto after = p.workers();
    ASSERT_EQ(after.size(), 2u);
    EXPECT_TRUE(std::count(after.begin(), after.end(), survivor));
    EXPECT_FALSE(std::count(after.begin(), after.end(), victim));
    auto pids = l.pids();
    EXPECT_TRUE(pids.count(survivor));
    for (int w : after) EXPECT_TRUE(pids.count(w)) << "new worker " << w << " never served";
    // Only requests in flight on the killed worker may fail: one per client thread at most.
    EXPECT_LE(l.failed(), 2) << l.failures();
    EXPECT_GT(l.ok(), 100);
}

namespace {

struct reload_result {
    int ok = 0, failed = 0, retried = 0;
    std::size_t pids = 0;
    std::string failures, log;
    bool master_same = false;
};

reload_result reload_under_load(std::string bin = demo_binary()) {
    process p{args(2), {}, std::move(bin)};
    reload_result res;
    auto port = p.port();
    if (port == 0 || !p.wait_for("all 2 workers are listening", 10s)) {
        res.log = p.log();
        return res;
    }
    {
        request_load l{port, 2, 2};
        wait_until([&] { return l.ok() >= 50; }, 5s);
        for (int i = 1; i <= 4; ++i) {
            p.signal(SIGHUP);
            // Both the rolling reload and the reopen variant log one line per new worker.
            p.wait_for("is listening", 10s, 2 + 2 * i);
            std::this_thread::sleep_for(400ms);
        }
        l.stop();
        res.ok = l.ok();
        res.failed = l.failed();
        res.retried = l.retried();
        res.pids = l.pids().size();
        res.failures = l.failures();
    }
    res.master_same = ::kill(p.pid(), 0) == 0 && p.count("Server running at") == 1;
    res.log = p.log();
    p.signal(SIGTERM);
    p.wait_exit(10s);
    return res;
}

} // namespace

TEST(cluster, sighup_reload_loses_no_request) {
    auto r = reload_under_load();
    std::printf("[ reload ] ok %d failed %d retried-on-reused-connection %d worker pids %zu\n", r.ok,
                r.failed, r.retried, r.pids);
    EXPECT_EQ(r.failed, 0) << r.failures << "\n" << r.log;
    EXPECT_GT(r.ok, 500);
    EXPECT_GE(r.pids, 4u) << "expected at least two generations of 2 workers";
    EXPECT_TRUE(r.master_same);
    EXPECT_EQ(4, [&] {
        int n = 0;
        for (auto pos = r.log.find("reload complete"); pos != std::string::npos;
             pos = r.log.find("reload complete", pos + 1))
            ++n;
        return n;
    }()) << r.log;
}

// Negative control: a reload that closes and re-binds the listener (what a naive
// implementation does) must make the same check fail.
TEST(cluster, sighup_reload_negative_control_reopen_drops_requests) {
    auto r = reload_under_load(NODUS_BINARY_DIR "/tests/reload_reopen_server");
    std::printf("[ reopen ] ok %d failed %d retried %d worker pids %zu\n", r.ok, r.failed, r.retried, r.pids);
    EXPECT_GT(r.failed, 0) << r.log;
}

TEST(cluster, sighup_reload_applies_the_new_http_settings) {
    auto dir = std::filesystem::temp_directory_path() / ("nodus-reload-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto ini = (dir / "app.ini").string();
    auto write_ini = [&](const char* server_header) {
        std::ofstream f{ini};
        f << "[http]\nserver_header = " << server_header << "\n";
    };
    write_ini("first");
    process p{args(2, {"--config", ini})};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    EXPECT_NE(nodus::test::roundtrip(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                  .find("Server: first\r\n"),
              std::string::npos);
    write_ini("second");
    p.signal(SIGHUP);
    ASSERT_TRUE(p.wait_for("is listening", 10s, 4)) << p.log(); // two replacements
    ASSERT_TRUE(p.wait_for("retired worker", 10s, 2)) << p.log(); // the old ones are gone
    for (int i = 0; i < 10; ++i) {
        auto raw = nodus::test::roundtrip(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        EXPECT_NE(raw.find("Server: second\r\n"), std::string::npos) << raw;
    }
    // An invalid file keeps the running configuration.
    {
        std::ofstream f{ini};
        f << "[http]\nmax_headers = none\n";
    }
    p.signal(SIGHUP);
    EXPECT_TRUE(p.wait_for("keeping the current one", 5s)) << p.log();
    auto raw = nodus::test::roundtrip(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(raw.find("Server: second\r\n"), std::string::npos) << raw;
    std::filesystem::remove_all(dir);
}

TEST(cluster, sigterm_drains_in_flight_request) {
    process p{args(2, {"--cluster.shutdown_timeout_ms=5000"})};
    auto port = p.port();
    ASSERT_NE(port, 0);
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    std::optional<nodus::test::parsed_response> reply;
    std::thread t([&] {
        client c;
        if (c.connect(port)) reply = c.get("/slow?ms=1000", true);
    });
    std::this_thread::sleep_for(200ms);
    auto t0 = clock::now();
    p.signal(SIGTERM);
    auto st = p.wait_exit(5s);
    auto took = clock::now() - t0;
    t.join();
    ASSERT_TRUE(reply) << p.log();
    EXPECT_EQ(reply->status, 200);
    EXPECT_TRUE(reply->closes()) << "a draining worker answers with Connection: close";
    ASSERT_TRUE(st) << "master did not exit within the deadline\n" << p.log();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << p.log();
    EXPECT_GE(took, 700ms);
    expect_tree_gone(p.pid(), 1s);
    // New connections are refused once the master is gone.
    client c;
    EXPECT_FALSE(c.connect(port));
}

TEST(cluster, second_sigterm_stops_at_once) {
    process p{args(2, {"--cluster.shutdown_timeout_ms=20000"})};
    auto port = p.port();
    ASSERT_NE(port, 0);
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    std::thread t([&] {
        client c;
        if (c.connect(port)) c.get("/slow?ms=10000", true);
    });
    std::this_thread::sleep_for(200ms);
    p.signal(SIGTERM);
    ASSERT_TRUE(p.wait_for("stopping (SIGTERM)", 2s));
    p.signal(SIGTERM);
    auto st = p.wait_exit(3s);
    t.join();
    ASSERT_TRUE(st) << p.log();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 1);
    expect_tree_gone(p.pid(), 1s);
}

TEST(cluster, workers_exit_when_master_is_killed) {
    process p{args(2)};
    ASSERT_NE(p.port(), 0);
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    p.signal(SIGKILL);
    ASSERT_TRUE(p.wait_exit(2s));
    expect_tree_gone(p.pid(), 5s);
}

TEST(cluster, worker_exiting_at_startup_stops_the_master) {
    process p{args(2), {"CLUSTER_DEMO_EXIT_AT_START=1"}};
    auto st = p.wait_exit(15s);
    ASSERT_TRUE(st) << p.log();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 1) << p.log();
    EXPECT_NE(p.log().find("before it was ready at startup; giving up"), std::string::npos) << p.log();
    expect_tree_gone(p.pid(), 2s);
}

TEST(cluster, port_in_use_exits_2) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(fd, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    int port = ntohs(a.sin_port);
    process p{{"--cluster.workers=2", "--server.port=" + std::to_string(port)}};
    auto st = p.wait_exit(10s);
    ::close(fd);
    ASSERT_TRUE(st);
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 2) << p.log();
    EXPECT_NE(p.log().find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
        << p.log();
    EXPECT_NE(p.log().find("Address already in use"), std::string::npos) << p.log();
    EXPECT_EQ(p.log().find("started worker"), std::string::npos) << "nothing may be forked";
}

// [server] host takes a host name in a cluster as in a single process (net/listener.cpp).
TEST(cluster, a_host_name_binds) {
    process p{{"--cluster.workers=1", "--server.port=0", "--server.host=localhost"}};
    ASSERT_NE(p.port(), 0) << p.log();
    EXPECT_NE(p.log().find("Server running at http://localhost:"), std::string::npos) << p.log();
    ASSERT_TRUE(p.wait_for("all 1 workers are listening", 10s)) << p.log();
    p.signal(SIGTERM);
    auto st = p.wait_exit(5s);
    ASSERT_TRUE(st) << p.log();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << p.log();
}

TEST(cluster, sigusr1_logs_the_worker_table) {
    process p{args(2)};
    auto port = p.port();
    ASSERT_NE(port, 0);
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    for (int i = 0; i < 50; ++i) ASSERT_NE(get_pid(port), 0);
    p.signal(SIGUSR1);
    ASSERT_TRUE(p.wait_for("connections     requests", 2s)) << p.log();
    for (int w : p.workers()) EXPECT_TRUE(p.wait_for(std::to_string(w), 1s));
}

// logrotate: rename the file, SIGUSR1 to the master. Every worker reopens it, so the lines
// of both go to the new file of the old name.
TEST(cluster, sigusr1_reopens_the_log_files_in_every_worker) {
    const auto dir = std::filesystem::temp_directory_path() / ("nodus_rotate_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = (dir / "access.log").string();
    process p{{"--cluster.workers=2", "--server.port=0", "--log.access_destination=" + file}};
    auto port = p.port();
    ASSERT_NE(port, 0);
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    ASSERT_EQ(p.workers().size(), 2u);
    std::filesystem::rename(file, file + ".1");
    p.signal(SIGUSR1);
    ASSERT_TRUE(p.wait_for("connections     requests", 2s)) << p.log();
    auto text = [&] {
        std::ifstream f{file};
        return std::string(std::istreambuf_iterator<char>(f), {});
    };
    // Each worker's lines carry its pid; keep asking until both have written to the new file.
    bool both = wait_until(
        [&] {
            get_pid(port);
            const auto t = text();
            const auto workers = p.workers();
            return std::all_of(workers.begin(), workers.end(), [&](int w) {
                return t.find("pid " + std::to_string(w) + "]") != std::string::npos;
            });
        },
        10s);
    EXPECT_TRUE(both) << text();
    std::filesystem::remove_all(dir);
}

// logrotate under load: the files are renamed and SIGUSR1 sent three times while clients keep
// requesting; no request fails, and every answered request has its line in one of the files.
TEST(cluster, sigusr1_under_load_loses_no_request_and_no_line) {
    const auto dir = std::filesystem::temp_directory_path() / ("nodus_rotate_load_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto file = (dir / "access.log").string();
    process p{{"--cluster.workers=2", "--server.port=0", "--log.access_destination=" + file}};
    auto port = p.port();
    ASSERT_NE(port, 0);
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    request_load load{port, 2, 1};
    for (int i = 1; i <= 3; ++i) {
        int before = load.ok();
        ASSERT_TRUE(wait_until([&] { return load.ok() > before + 200; }, 10s)) << p.log();
        // Lines reach the file in batches: rotate once this file has some.
        ASSERT_TRUE(wait_until([&] { return std::filesystem::file_size(file) > 0; }, 5s));
        std::filesystem::rename(file, file + "." + std::to_string(i));
        p.signal(SIGUSR1);
        ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(file); }, 5s)) << "not reopened: " << p.log();
    }
    int before = load.ok();
    ASSERT_TRUE(wait_until([&] { return load.ok() > before + 200; }, 10s));
    load.stop();
    EXPECT_EQ(load.failed(), 0) << p.log();
    p.signal(SIGTERM); // the workers write what they hold before they exit
    auto code = p.wait_exit(20s);
    ASSERT_TRUE(code) << p.log();
    EXPECT_EQ(*code, 0) << p.log();
    long lines = 0;
    for (auto name : {file + ".1", file + ".2", file + ".3", file}) {
        std::ifstream f{name};
        std::string line;
        long here = 0;
        while (std::getline(f, line))
            if (line.find("\"GET /") != std::string::npos) ++here;
        EXPECT_GT(here, 0) << name << " has no request line";
        lines += here;
    }
    // A retried request may have been logged once for the attempt that lost its answer.
    EXPECT_GE(lines, load.ok());
    EXPECT_LE(lines, load.ok() + load.retried());
    std::filesystem::remove_all(dir);
}

TEST(cluster, crash_restart_backs_off) {
    process p{args(1)};
    ASSERT_NE(p.port(), 0);
    ASSERT_TRUE(p.wait_for("all 1 workers are listening", 10s)) << p.log();
    for (int i = 0; i < 3; ++i) {
        auto w = p.workers();
        ASSERT_EQ(w.size(), 1u) << p.log();
        ::kill(w[0], SIGKILL);
        ASSERT_TRUE(p.wait_for("is listening", 5s, 2 + i)) << p.log();
        auto end = clock::now() + 2s;
        while (clock::now() < end && (p.workers().empty() || p.workers()[0] == w[0]))
            std::this_thread::sleep_for(5ms);
    }
    // First restart at once, then with a delay.
    EXPECT_EQ(p.count("restarting worker 1 in"), 2) << p.log();
}

TEST(cluster, crash_loop_stops_the_master) {
    process p{args(1, {"--cluster.crash_limit=2", "--cluster.crash_window_s=60"})};
    ASSERT_NE(p.port(), 0);
    ASSERT_TRUE(p.wait_for("all 1 workers are listening", 10s)) << p.log();
    for (int i = 0; i < 3; ++i) {
        std::vector<int> w;
        auto end = clock::now() + 5s;
        while (clock::now() < end && (w = p.workers()).empty()) std::this_thread::sleep_for(5ms);
        if (w.empty()) break;
        ::kill(w[0], SIGKILL);
        p.wait_for("was killed by signal SIGKILL", 5s, i + 1);
    }
    auto st = p.wait_exit(10s);
    ASSERT_TRUE(st) << p.log();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 1);
    EXPECT_NE(p.log().find("crash loop"), std::string::npos) << p.log();
    expect_tree_gone(p.pid(), 2s);
}

// A reload whose configuration cannot be applied (here: a log file under a regular file,
// which cannot be created) keeps everything as it was: the master and its workers go on,
// and a later valid reload applies.
TEST(cluster, sighup_with_an_unopenable_log_destination_keeps_the_running_config) {
    auto dir = std::filesystem::temp_directory_path() / ("nodus-reload-log-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto ini = (dir / "app.ini").string();
    auto plain = dir / "plain";
    {
        std::ofstream f{plain};
        f << "a regular file\n";
    }
    auto write_ini = [&](const char* server_header, const std::string& log) {
        std::ofstream f{ini};
        f << "[http]\nserver_header = " << server_header << "\n";
        if (!log.empty()) f << "[log]\ndestination = " << log << "\n";
    };
    auto header = [](std::uint16_t port) {
        auto raw = nodus::test::roundtrip(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        auto at = raw.find("Server: ");
        return at == std::string::npos ? std::string{} : raw.substr(at + 8, raw.find("\r\n", at) - at - 8);
    };
    write_ini("first", "");
    process p{args(2, {"--config", ini})};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    auto workers = p.workers();

    write_ini("second", (plain / "nodus.log").string());
    p.signal(SIGHUP);
    ASSERT_TRUE(p.wait_for("keeping the current one", 5s)) << p.log();
    EXPECT_NE(p.log().find("plain/nodus.log"), std::string::npos) << "the error names the destination\n"
                                                                  << p.log();
    auto now = p.workers();
    EXPECT_EQ(std::set<int>(now.begin(), now.end()), std::set<int>(workers.begin(), workers.end()))
        << p.log();
    EXPECT_EQ(header(port), "first");

    write_ini("third", "");
    p.signal(SIGHUP);
    ASSERT_TRUE(p.wait_for("reload complete", 10s)) << p.log();
    EXPECT_TRUE(wait_until([&] { return header(port) == "third"; }, 5s)) << p.log();
    p.signal(SIGTERM);
    auto st = p.wait_exit(10s);
    ASSERT_TRUE(st) << p.log();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << p.log();
    std::filesystem::remove_all(dir);
}

// SIGKILL of the master while slow requests are in flight, under load: every worker
// drains (the parent-death signal and the channel closing both mean "drain", whichever
// comes first) and each slow request gets its full answer. Three rounds, since the two
// events race.
TEST(cluster, workers_finish_in_flight_requests_when_the_master_is_killed) {
    constexpr int slow_clients = 12;
    for (int round = 0; round < 3; ++round) {
        process p{args(2, {"--http.drain_timeout_ms=5000"})};
        auto port = p.port();
        ASSERT_NE(port, 0) << p.log();
        ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
        request_load background{port, 0, 4};
        ASSERT_TRUE(wait_until([&] { return background.ok() >= 50; }, 5s));

        std::atomic<int> sent{0};
        std::vector<std::string> results(slow_clients);
        std::vector<std::thread> clients;
        for (int i = 0; i < slow_clients; ++i)
            clients.emplace_back([&, i] {
                auto& out = results[static_cast<std::size_t>(i)];
                client c;
                // A first answer on the connection: a worker owns it before the slow request.
                std::optional<nodus::test::parsed_response> first;
                if (!c.connect(port) || !(first = c.get("/", true))) {
                    out = "no first answer";
                    ++sent;
                    return;
                }
                if (!c.send_get("/slow?ms=1500", true)) out = "cannot send";
                ++sent;
                auto r = c.read_response();
                if (!r) out = out.empty() ? "no answer" : out;
                else if (r->status != 200) out = "status " + std::to_string(r->status);
                else if (r->body != first->body)
                    out = "body '" + r->body + "', expected '" + first->body + "'";
            });
        const bool all_sent = wait_until([&] { return sent == slow_clients; }, 5s);
        p.signal(SIGKILL);
        for (auto& t : clients) t.join();
        background.stop();
        EXPECT_TRUE(all_sent);
        for (int i = 0; i < slow_clients; ++i)
            EXPECT_EQ(results[static_cast<std::size_t>(i)], "")
                << "round " << round << ", client " << i << "\n"
                << p.log();
        expect_tree_gone(p.pid(), 10s);
        if (HasFailure()) break;
    }
}
