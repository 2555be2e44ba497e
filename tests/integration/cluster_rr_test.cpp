// balance = round_robin: the master accepts every connection and passes it to the next
// accepting worker over that worker's IPC channel (SCM_RIGHTS). Real processes
// (apps/cluster_demo) and sockets. Descriptor passing itself: tests/unit/channel_test.cpp.
#include "support/process_harness.hpp"
#include "support/request_load.hpp"

#include <algorithm>
#include <map>

using namespace process_harness;

namespace {

std::vector<std::string> rr_args(int workers, std::vector<std::string> more = {}) {
    std::vector<std::string> a{"--cluster.workers=" + std::to_string(workers), "--server.port=0",
                               "--log.access_log=false", "--cluster.balance=round_robin"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

std::string show(const std::map<int, int>& m) {
    std::string s;
    for (auto [pid, n] : m) s += std::to_string(pid) + ":" + std::to_string(n) + " ";
    return s;
}

std::set<int> as_set(const std::vector<int>& v) { return {v.begin(), v.end()}; }

void expect_gone(int pgid, std::chrono::milliseconds within) {
    auto end = clock::now() + within;
    while (!group_members(pgid).empty() && clock::now() < end) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(group_members(pgid).empty()) << "processes of the tree still running";
}

// Wait until the master's children are exactly `n` processes, none of them in `not_in`.
std::vector<int> wait_workers(const process& p, std::size_t n, const std::set<int>& not_in,
                              std::chrono::milliseconds timeout = 5s) {
    auto end = clock::now() + timeout;
    std::vector<int> w;
    while (clock::now() < end) {
        w = p.workers();
        if (w.size() == n && std::none_of(w.begin(), w.end(), [&](int x) { return not_in.count(x) > 0; }))
            return w;
        std::this_thread::sleep_for(5ms);
    }
    return w;
}

} // namespace

TEST(cluster_rr, new_connections_alternate_between_workers) {
    process p{rr_args(2)};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    EXPECT_TRUE(p.wait_for("balance = round_robin", 1s)) << p.log();
    EXPECT_EQ(p.count("not implemented"), 0) << p.log();

    std::map<int, int> split;
    std::vector<int> order;
    for (int i = 0; i < 200; ++i) {
        int pid = get_pid(port);
        ++split[pid];
        order.push_back(pid);
    }
    // The split is counted from real responses: no failure, both workers (and only
    // they, never the master) answered, every request is counted once.
    EXPECT_FALSE(split.count(0)) << "failed requests: " << show(split);
    ASSERT_EQ(split.size(), 2u) << show(split);
    EXPECT_FALSE(split.count(p.pid())) << "the master must not serve";
    std::set<int> answered;
    int sum = 0;
    for (auto [pid, n] : split) {
        answered.insert(pid);
        sum += n;
    }
    EXPECT_EQ(answered, as_set(p.workers()));
    EXPECT_EQ(sum, 200);
    for (auto [pid, n] : split) {
        EXPECT_GE(n, 98) << show(split);
        EXPECT_LE(n, 102) << show(split);
    }
    // One client, one connection at a time: the turns alternate.
    int repeats = 0;
    for (std::size_t i = 1; i < order.size(); ++i) repeats += order[i] == order[i - 1];
    EXPECT_LE(repeats, 2) << "the same worker took consecutive connections " << repeats << " times";
    std::printf("[ split ] round_robin, 200 Connection: close requests: %s\n", show(split).c_str());

    p.signal(SIGTERM);
    auto st = p.wait_exit(10s);
    ASSERT_TRUE(st) << p.log();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << p.log();
    expect_gone(p.pid(), 2s);
}

TEST(cluster_rr, keep_alive_connections_are_split_evenly) {
    process p{rr_args(2)};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();

    std::vector<client> conns(20);
    for (auto& c : conns) ASSERT_TRUE(c.connect(port));
    std::vector<int> owner(conns.size(), 0);
    int ok = 0, failed = 0, moved = 0;
    std::map<int, int> requests;
    for (int round = 0; round < 100; ++round) {
        for (std::size_t i = 0; i < conns.size(); ++i) {
            auto r = conns[i].get("/", true);
            if (!r || r->status != 200) {
                ++failed;
                continue;
            }
            ++ok;
            int pid = std::atoi(r->body.c_str());
            ++requests[pid];
            if (owner[i] == 0) owner[i] = pid;
            else if (owner[i] != pid) ++moved;
        }
    }
    EXPECT_EQ(ok, 2000);
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(moved, 0) << "a keep-alive connection stays with its worker";
    std::map<int, int> per_worker;
    for (int pid : owner) ++per_worker[pid];
    EXPECT_FALSE(per_worker.count(0)) << show(per_worker);
    ASSERT_EQ(per_worker.size(), 2u) << show(per_worker);
    EXPECT_EQ(as_set(p.workers()), [&] {
        std::set<int> s;
        for (auto [pid, n] : per_worker) s.insert(pid);
        return s;
    }());
    for (auto [pid, n] : per_worker) {
        EXPECT_GE(n, 9) << "connections per worker: " << show(per_worker);
        EXPECT_LE(n, 11) << "connections per worker: " << show(per_worker);
    }
    std::printf("[ split ] round_robin, 20 keep-alive connections: %s(requests %s)\n",
                show(per_worker).c_str(), show(requests).c_str());
}

// The loads of cluster_balance_test.cpp: bursts of 64 keep-alive connections, and
// Connection: close requests from 4 client threads (timed, for docs/cluster.md).
TEST(cluster_rr, bursts_and_short_connections_are_even) {
    process p{rr_args(2)};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    for (int burst = 0; burst < 10; ++burst) {
        std::vector<client> conns(64);
        for (auto& c : conns) ASSERT_TRUE(c.connect(port));
        std::map<int, int> split;
        for (auto& c : conns) {
            auto r = c.get("/", true);
            ++split[r && r->status == 200 ? std::atoi(r->body.c_str()) : 0];
        }
        EXPECT_FALSE(split.count(0)) << show(split);
        ASSERT_EQ(split.size(), 2u) << show(split);
        for (auto [pid, n] : split) {
            EXPECT_GE(n, 31) << "burst " << burst << ": " << show(split);
            EXPECT_LE(n, 33) << "burst " << burst << ": " << show(split);
        }
    }
    std::mutex mu;
    std::map<int, int> split;
    std::vector<std::thread> threads;
    auto t0 = clock::now();
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            std::map<int, int> mine;
            for (int i = 0; i < 2500; ++i) ++mine[get_pid(port)];
            std::lock_guard lock{mu};
            for (auto [k, v] : mine) split[k] += v;
        });
    for (auto& t : threads) t.join();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0).count();
    std::printf("[ split ] round_robin: 10000 Connection: close requests, 4 clients, took %lld ms: %s\n",
                static_cast<long long>(ms), show(split).c_str());
    EXPECT_FALSE(split.count(0)) << show(split);
    ASSERT_EQ(split.size(), 2u) << show(split);
    for (auto [pid, n] : split) {
        // The master's turns are strict: 5000 each.
        EXPECT_GE(n, 4950) << show(split);
        EXPECT_LE(n, 5050) << show(split);
    }
}

TEST(cluster_rr, kill_9_worker_under_load_is_replaced_and_served_again) {
    process p{rr_args(2)};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    auto before = p.workers();
    ASSERT_EQ(before.size(), 2u);
    int victim = before[0], survivor = before[1];

    request_load l{port, 0, 2};
    ASSERT_TRUE(wait_until([&] { return l.ok() >= 20; }, 5s)) << "the load is being served";
    ::kill(victim, SIGKILL);
    ASSERT_TRUE(p.wait_for("was killed by signal SIGKILL", 5s)) << p.log();
    ASSERT_TRUE(p.wait_for("is listening", 5s, 3)) << p.log();
    auto after = wait_workers(p, 2, {victim});
    ASSERT_EQ(after.size(), 2u) << p.log();
    int replacement = after[0] == survivor ? after[1] : after[0];
    EXPECT_TRUE(std::count(after.begin(), after.end(), survivor));
    // The replacement is taking its turns while the load goes on.
    auto end = clock::now() + 3s;
    while (clock::now() < end && l.served()[replacement] < 20) std::this_thread::sleep_for(5ms);
    wait_until([&] { return l.ok() > 100; }, 10s);
    l.stop();

    auto served = l.served();
    std::printf("[ kill -9 ] ok %d failed %d: %s\n", l.ok(), l.failed(), show(served).c_str());
    EXPECT_GT(served[victim], 0);
    EXPECT_GT(served[survivor], 0);
    EXPECT_GE(served[replacement], 20) << show(served);
    // Only requests in flight on the killed worker may fail: the one each client thread had
    // there, and at most one more per thread passed while the dying worker's descriptors
    // were being closed (its connection's before its channel's).
    EXPECT_LE(l.failed(), 4) << l.failures();
    EXPECT_GT(l.ok(), 100);

    // And the turns are even again.
    std::map<int, int> split;
    for (int i = 0; i < 40; ++i) ++split[get_pid(port)];
    EXPECT_EQ(split[survivor], 20) << show(split);
    EXPECT_EQ(split[replacement], 20) << show(split);
}

// While no worker accepts, the master holds what it accepted (up to [server] backlog) and
// leaves the rest in the kernel's queue: every client is served once a worker is back.
TEST(cluster_rr, connections_wait_while_no_worker_accepts) {
    process p{rr_args(1, {"--server.backlog=8"})};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 1 workers are listening", 10s)) << p.log();
    // The first restart is immediate; the third waits 100-300 ms (backoff): the gap.
    std::set<int> dead;
    for (int kill = 1; kill <= 3; ++kill) {
        auto w = wait_workers(p, 1, dead);
        ASSERT_EQ(w.size(), 1u) << p.log();
        ASSERT_TRUE(p.wait_for("is listening", 5s, kill)) << p.log();
        ::kill(w[0], SIGKILL);
        dead.insert(w[0]);
    }
    ASSERT_TRUE(p.wait_for("restarting worker 1 in", 2s, 2)) << p.log();
    auto t0 = clock::now();
    constexpr int clients = 24; // three times the master's queue
    std::vector<int> pids(clients, 0);
    std::vector<std::chrono::milliseconds> took(clients);
    std::vector<std::thread> threads;
    for (int i = 0; i < clients; ++i)
        threads.emplace_back([&, i] {
            auto start = clock::now();
            pids[static_cast<std::size_t>(i)] = get_pid(port);
            took[static_cast<std::size_t>(i)] =
                std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
        });
    for (auto& t : threads) t.join();
    auto w = wait_workers(p, 1, dead);
    ASSERT_EQ(w.size(), 1u) << p.log();
    int waited = 0;
    for (int i = 0; i < clients; ++i) {
        EXPECT_EQ(pids[static_cast<std::size_t>(i)], w[0])
            << "client " << i << " after " << took[static_cast<std::size_t>(i)].count() << " ms";
        waited += took[static_cast<std::size_t>(i)] >= 30ms;
    }
    std::printf("[ no worker ] %d of %d clients waited for the restarted worker; all done in %lld ms\n",
                waited, clients,
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0).count()));
    EXPECT_GE(waited, clients / 2) << "the clients did not meet the gap\n" << p.log();
}

TEST(cluster_rr, sighup_reload_under_new_connection_load_loses_nothing) {
    process p{rr_args(2)};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    std::set<int> old = as_set(p.workers());
    ASSERT_EQ(old.size(), 2u);
    std::set<int> current;
    {
        request_load l{port, 0, 2};
        ASSERT_TRUE(wait_until([&] { return l.ok() >= 20; }, 5s)) << "the load is being served";
        for (int i = 1; i <= 2; ++i) {
            p.signal(SIGHUP);
            ASSERT_TRUE(p.wait_for("reload complete", 10s, i)) << p.log();
            auto w = wait_workers(p, 2, old);
            ASSERT_EQ(w.size(), 2u) << p.log();
            for (int x : w) old.insert(x);
            current = as_set(w);
            // Until both new workers have served some of the load.
            wait_until(
                [&] {
                    auto served = l.served();
                    return std::all_of(current.begin(), current.end(),
                                       [&](int pid) { return served[pid] > 0; });
                },
                3s);
        }
        // Keep the load going on the last generation until it is a run of some size.
        wait_until([&] { return l.ok() > 200; }, 10s);
        l.stop();
        std::printf("[ reload ] ok %d failed %d: %s\n", l.ok(), l.failed(), show(l.served()).c_str());
        EXPECT_EQ(l.failed(), 0) << l.failures() << "\n" << p.log();
        EXPECT_GT(l.ok(), 200);
        EXPECT_GE(l.served().size(), 6u) << "three generations of 2 workers: " << show(l.served());
    }
    // After the reloads only the newest workers serve, in turn.
    std::map<int, int> split;
    for (int i = 0; i < 40; ++i) ++split[get_pid(port)];
    ASSERT_EQ(split.size(), 2u) << show(split);
    for (auto [pid, n] : split) {
        EXPECT_TRUE(current.count(pid)) << pid << " is not of the last generation: " << show(split);
        EXPECT_EQ(n, 20) << show(split);
    }
    EXPECT_EQ(p.count("Server running at"), 1);
    p.signal(SIGTERM);
    auto st = p.wait_exit(10s);
    ASSERT_TRUE(st) << p.log();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << p.log();
}

TEST(cluster_rr, sigterm_stops_accepting_and_drains_in_flight_request) {
    process p{rr_args(2, {"--cluster.shutdown_timeout_ms=5000"})};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    std::optional<nodus::test::parsed_response> slow;
    std::atomic<bool> sent{false};
    std::thread t([&] {
        client c;
        if (!c.connect(port)) return;
        sent = true;
        slow = c.get("/slow?ms=1000", true);
    });
    // The request is being served once its worker holds a connection.
    auto end = clock::now() + 2s;
    while (clock::now() < end && !sent) std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(100ms);
    auto t0 = clock::now();
    p.signal(SIGTERM);
    ASSERT_TRUE(p.wait_for("stopping (SIGTERM)", 2s)) << p.log();
    // A connection made now is not handed to anyone: no response, and the socket closes
    // with the master.
    client late;
    std::optional<nodus::test::parsed_response> late_reply;
    if (late.connect(port)) late_reply = late.get("/", false);
    auto st = p.wait_exit(5s);
    auto took = clock::now() - t0;
    t.join();
    ASSERT_TRUE(slow) << p.log();
    EXPECT_EQ(slow->status, 200);
    EXPECT_TRUE(slow->closes()) << "a draining worker answers with Connection: close";
    EXPECT_FALSE(late_reply) << "a connection made after SIGTERM was served";
    ASSERT_TRUE(st) << "master did not exit within the deadline\n" << p.log();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << p.log();
    EXPECT_GE(took, 700ms);
    expect_gone(p.pid(), 1s);
    client after;
    EXPECT_FALSE(after.connect(port));
}

TEST(cluster_rr, sigusr1_table_counts_the_requests) {
    process p{rr_args(2)};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    for (int i = 0; i < 50; ++i) ASSERT_NE(get_pid(port), 0);
    // Each worker's row in the latest table ends in its requests, as of its last stats.
    auto requests_of = [&](int pid) -> std::optional<std::string> {
        auto log = p.log();
        auto table = log.rfind("connections     requests");
        if (table == std::string::npos) return std::nullopt;
        auto row = log.find(" " + std::to_string(pid) + " ", table);
        if (row == std::string::npos) return std::nullopt;
        auto eol = log.find('\n', row);
        if (eol == std::string::npos) return std::nullopt;
        auto line = log.substr(row, eol - row);
        return line.substr(line.find_last_of(' ') + 1);
    };
    auto workers = p.workers();
    ASSERT_EQ(workers.size(), 2u);
    // Stats come once a second: ask for the table until both rows show their 25.
    wait_until(
        [&] {
            int tables = p.count("connections     requests");
            p.signal(SIGUSR1);
            p.wait_for("connections     requests", 1s, tables + 1);
            wait_until([&] { return requests_of(workers[0]) && requests_of(workers[1]); }, 500ms);
            return requests_of(workers[0]) == "25" && requests_of(workers[1]) == "25";
        },
        5s);
    for (int w : workers) {
        auto n = requests_of(w);
        ASSERT_TRUE(n) << p.log();
        EXPECT_EQ(*n, "25") << p.log();
    }
}

// systemd socket activation: the master accepts on the first socket it is given.
TEST(cluster_rr, accepts_on_a_socket_passed_by_systemd) {
    // The configured port is ignored: the passed socket is served.
    socket_activated p{{"--cluster.workers=2", "--server.port=1", "--log.access_log=false",
                        "--cluster.balance=round_robin"}};
    auto port = p.port();
    const auto& log = p.log_until("all 2 workers are listening");
    EXPECT_NE(log.find("all 2 workers are listening"), std::string::npos) << log;
    EXPECT_NE(log.find("using 1 socket(s) from systemd"), std::string::npos) << log;
    EXPECT_NE(log.find("balance = round_robin"), std::string::npos) << log;
    std::map<int, int> split;
    for (int i = 0; i < 20; ++i) ++split[get_pid(port)];
    EXPECT_FALSE(split.count(0)) << show(split);
    EXPECT_EQ(split.size(), 2u) << show(split);
    for (auto [worker, n] : split) EXPECT_EQ(n, 10) << show(split);
    EXPECT_TRUE(p.stop()) << "exit status after SIGTERM";
}
