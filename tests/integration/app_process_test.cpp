// The shipped apps and small programs as real processes: startup line, exit codes,
// signals, configuration errors.
#include "support/process_harness.hpp"
#include "support/http_client.hpp"
#include "support/wait_until.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using process_harness::process;

namespace {
std::string bin(const char* rel) { return std::string(NODUS_BINARY_DIR) + "/" + rel; }
std::string src(const char* rel) { return std::string(NODUS_SOURCE_DIR) + "/" + rel; }
int exit_code(std::optional<int> st) { return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1; }
int exit_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : -1; }
} // namespace

TEST(app_process, hello_world_answers_like_node) {
    process p{{"--config", src("config/hello.ini"), "--server.port=0"}, {}, bin("apps/hello/hello")};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    EXPECT_NE(p.log().find("Server running at http://127.0.0.1:"), std::string::npos);
    auto r = nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "text/plain");
    EXPECT_EQ(r.body, "Hello World\n");
    // the access log line: remote, method, target, status, bytes
    EXPECT_TRUE(p.wait_for("127.0.0.1 \"GET /\" 200 12", 2s)) << p.log();
}

TEST(app_process, sigterm_drains_in_flight_then_exits_0) {
    process p{{"--config", src("config/echo.ini"), "--server.port=0"}, {}, bin("apps/echo/echo")};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    nodus::test::client busy{port};
    busy.send("GET /delay?ms=500 HTTP/1.1\r\nHost: x\r\n\r\n");
    nodus::test::client idle{port};
    EXPECT_EQ(idle.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
    ASSERT_TRUE(busy.wait_read_by_server()); // in flight, not merely connected
    auto start = std::chrono::steady_clock::now();
    p.signal(SIGTERM);
    EXPECT_TRUE(idle.closed_within(1000ms));
    auto r = busy.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "waited 500 ms\n");
    EXPECT_EQ(r->header("Connection"), "close");
    auto st = p.wait_exit(3s);
    EXPECT_EQ(exit_code(st), 0) << p.log();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    // and nothing accepts on that port any more
    EXPECT_THROW(nodus::test::client(port, 200ms), std::runtime_error);
}

TEST(app_process, second_signal_stops_at_once) {
    process p{{"--config", src("config/echo.ini"), "--server.port=0"}, {}, bin("apps/echo/echo")};
    auto port = p.port();
    ASSERT_NE(port, 0);
    nodus::test::client busy{port};
    busy.send("GET /delay?ms=5000 HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(busy.wait_read_by_server()); // in flight, not merely connected
    auto start = std::chrono::steady_clock::now();
    p.signal(SIGINT);
    EXPECT_TRUE(p.wait_for("SIGINT: stopping gracefully", 1s)) << p.log();
    EXPECT_FALSE(p.wait_exit(100ms)) << "the first signal waits for the slow request";
    p.signal(SIGINT);
    auto st = p.wait_exit(2s);
    ASSERT_TRUE(st);
    EXPECT_EQ(exit_code(st), 1); // not a graceful stop
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
    EXPECT_TRUE(busy.closed_within(500ms));
}

TEST(app_process, streams_an_upload_back) {
    process p{{"--config", src("config/echo.ini"), "--server.port=0"}, {}, bin("apps/echo/echo")};
    auto port = p.port();
    ASSERT_NE(port, 0);
    std::string body;
    for (int i = 0; body.size() < 3 * 1024 * 1024; ++i) body += std::to_string(i) + ",";
    nodus::test::client c{port};
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
    std::thread writer([&] { c.send(body); });
    auto r = c.read_response();
    writer.join();
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->chunked);
    EXPECT_EQ(r->body.size(), body.size());
    EXPECT_TRUE(r->body == body);
}

TEST(app_process, blocking_work_on_the_pool_does_not_stall_other_requests) {
    process p{{"--config", src("config/echo.ini"), "--server.port=0", "--loop.threadpool_size=2"},
              {},
              bin("apps/echo/echo")};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    // Three 600 ms jobs on a pool of two: two run at once, the third waits for a thread.
    std::vector<std::unique_ptr<nodus::test::client>> slow;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) {
        slow.push_back(std::make_unique<nodus::test::client>(port));
        slow.back()->send("GET /work?ms=600 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    for (auto& c : slow) ASSERT_TRUE(c->wait_read_by_server());
    // Meanwhile the loop answers at once.
    for (int i = 0; i < 5; ++i) {
        auto q0 = std::chrono::steady_clock::now();
        EXPECT_EQ(nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
        EXPECT_LT(std::chrono::steady_clock::now() - q0, 300ms) << "the loop was blocked";
    }
    std::vector<double> done_ms;
    for (auto& c : slow) {
        auto r = c->read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body.rfind("worked ", 0), 0u) << r->body;
        done_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    // Two at once, then the third: about 1,200 ms in all (one at a time would be 1,800).
    EXPECT_GE(done_ms.back(), 1150.0);
    EXPECT_LT(done_ms.back(), 1750.0);
}

TEST(app_process, bad_config_value_exits_2_naming_file_line_key_value) {
    process p{{"--config", src("config/hello.ini"), "--server.port=abc"}, {}, bin("apps/hello/hello")};
    auto st = p.wait_exit(5s);
    EXPECT_EQ(exit_code(st), 2);
    auto log = p.log();
    EXPECT_NE(log.find("server.port"), std::string::npos) << log;
    EXPECT_NE(log.find("abc"), std::string::npos) << log;
}

TEST(app_process, missing_config_file_exits_2) {
    process p{{"--config", "/nonexistent/x.ini"}, {}, bin("apps/hello/hello")};
    auto st = p.wait_exit(5s);
    EXPECT_EQ(exit_code(st), 2);
    EXPECT_NE(p.log().find("/nonexistent/x.ini"), std::string::npos) << p.log();
}

TEST(app_process, port_in_use_exits_2_with_the_address) {
    process first{{"--config", src("config/hello.ini"), "--server.port=0"}, {}, bin("apps/hello/hello")};
    auto port = first.port();
    ASSERT_NE(port, 0);
    process second{{"--config", src("config/hello.ini"), "--server.port=" + std::to_string(port)},
                   {},
                   bin("apps/hello/hello")};
    auto st = second.wait_exit(5s);
    EXPECT_EQ(exit_code(st), 2);
    auto log = second.log();
    EXPECT_NE(log.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << log;
    EXPECT_NE(log.find("Address already in use"), std::string::npos) << log;
}

TEST(app_process, a_host_name_binds_in_a_single_process_too) {
    // The same resolution as the cluster master's (one way to bind): "localhost" is a name,
    // not an address literal.
    process p{{"--config", src("config/hello.ini"), "--server.port=0", "--server.host=localhost"},
              {},
              bin("apps/hello/hello")};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    EXPECT_NE(p.log().find("Server running at http://localhost:"), std::string::npos) << p.log();
    auto r = nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "Hello World\n");
}

TEST(app_process, an_unknown_host_name_exits_2_naming_it) {
    process p{{"--config", src("config/hello.ini"), "--server.port=0", "--server.host=no-such-host.invalid"},
              {},
              bin("apps/hello/hello")};
    EXPECT_EQ(exit_code(p.wait_exit(10s)), 2);
    EXPECT_NE(p.log().find("no-such-host.invalid"), std::string::npos) << p.log();
}

TEST(app_process, help_lists_every_key_and_exits_0) {
    process p{{"--help"}, {}, bin("apps/hello/hello")};
    auto st = p.wait_exit(5s);
    EXPECT_EQ(exit_code(st), 0);
    auto log = p.log();
    for (auto key : {"server.port", "http.max_header_bytes", "log.access_log", "cluster.workers"})
        EXPECT_NE(log.find(key), std::string::npos) << key;
}

TEST(app_process, a_timer_only_program_runs_its_timer_and_exits) {
    auto start = std::chrono::steady_clock::now();
    process p{{}, {}, bin("tests/timer_only")};
    auto st = p.wait_exit(5s);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(exit_code(st), 3); // the code the program set
    EXPECT_NE(p.log().find("timer fired"), std::string::npos);
    EXPECT_GE(took, 100ms);
    EXPECT_LT(took, 1000ms);
}

TEST(app_process, own_main_serves_and_runs_timers) {
    process p{{"--server.port=0"}, {}, bin("tests/own_main")};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    EXPECT_TRUE(p.wait_for("interval ran 3 times", 2s)) << p.log();
    EXPECT_EQ(nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").body, "own main\n");
    p.signal(SIGTERM);
    EXPECT_EQ(exit_code(p.wait_exit(3s)), 0);
}

// A main() of its own catches what setup throws, as app.hpp shows, and exits as nodus::main does.
TEST(app_process, own_main_reports_setup_errors_like_nodus_main) {
    process bad{{"--server.port=abc"}, {}, bin("tests/own_main")};
    EXPECT_EQ(exit_code(bad.wait_exit(5s)), 2);
    EXPECT_NE(bad.log().find("own_main: --server.port=abc"), std::string::npos) << bad.log();

    process help{{"--help"}, {}, bin("tests/own_main")};
    EXPECT_EQ(exit_code(help.wait_exit(5s)), 0);
    EXPECT_NE(help.log().find("server.port"), std::string::npos) << help.log();

    process first{{"--server.port=0"}, {}, bin("tests/own_main")};
    auto port = first.port();
    ASSERT_NE(port, 0) << first.log();
    process second{{"--server.port=" + std::to_string(port)}, {}, bin("tests/own_main")};
    EXPECT_EQ(exit_code(second.wait_exit(5s)), 2);
    EXPECT_NE(second.log().find("Address already in use"), std::string::npos) << second.log();
}

// ------------------------------------------------------------- a program's own handles

namespace {

// tests/holds_the_loop serving, with HOLD and RELEASE (see the program), then SIGTERM once
// it serves: the time to exit and the exit status, or nullopt when it did not exit in `limit`.
struct stop_result {
    std::optional<int> status;
    std::chrono::steady_clock::duration took{};
    std::string log;
};

stop_result stop_holding(const std::string& hold, const std::string& how, std::vector<std::string> extra,
                         std::chrono::milliseconds limit) {
    std::vector<std::string> args{"--server.port=0", "--http.drain_timeout_ms=1000"};
    args.insert(args.end(), extra.begin(), extra.end());
    process p{args, {"HOLD=" + hold, "RELEASE=" + how}, bin("tests/holds_the_loop")};
    stop_result r;
    if (p.port() == 0) return r;
    const bool clustered = extra.size() > 0;
    if (clustered && !p.wait_for("all 1 workers are listening", 5s)) return r;
    auto start = std::chrono::steady_clock::now();
    p.signal(SIGTERM);
    r.status = p.wait_exit(limit);
    r.took = std::chrono::steady_clock::now() - start;
    r.log = p.log();
    return r;
}

} // namespace

// Item 4: an interval or a signal subscription of the program's own, cancelled in an
// on_stopping hook or unref()'d, does not keep a stopping process alive.
TEST(app_process, sigterm_ends_a_program_holding_an_interval_or_a_signal) {
    for (auto hold : {"interval", "signal"}) {
        for (auto how : {"hook", "unref"}) {
            auto r = stop_holding(hold, how, {}, 3s);
            EXPECT_EQ(exit_code(r.status), 0) << hold << "/" << how << "\n" << r.log;
            EXPECT_LT(r.took, 1000ms) << hold << "/" << how; // within the drain deadline
            EXPECT_NE(r.log.find("SIGTERM: stopping gracefully"), std::string::npos) << r.log;
        }
    }
    // Without either, the program's own handle holds the loop: the test's premise.
    auto held = stop_holding("interval", "none", {}, 1500ms);
    EXPECT_FALSE(held.status) << held.log;
}

TEST(app_process, a_cluster_worker_holding_an_interval_or_a_signal_stops_without_sigkill) {
    const std::vector<std::string> cluster{"--cluster.workers=1", "--cluster.shutdown_timeout_ms=5000"};
    for (auto hold : {"interval", "signal"}) {
        for (auto how : {"hook", "unref"}) {
            auto r = stop_holding(hold, how, cluster, 8s);
            EXPECT_EQ(exit_code(r.status), 0) << hold << "/" << how << "\n" << r.log;
            EXPECT_LT(r.took, 1000ms) << hold << "/" << how << "\n" << r.log;
            EXPECT_EQ(r.log.find("killing it"), std::string::npos) << r.log;
        }
    }
}

// Item 5: standard error is a pipe nobody reads, full, with the logging thread stuck
// writing to it: SIGTERM still ends the process within the drain deadline.
TEST(app_process, sigterm_ends_a_process_whose_stderr_is_a_full_pipe) {
    int out[2], err[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(err, O_CLOEXEC), 0);
    std::string path = bin("tests/holds_the_loop");
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        ::putenv(const_cast<char*>("FLOOD=3000")); // ~700 KB of lines: far more than a pipe holds
        ::execl(path.c_str(), path.c_str(), "--server.port=0", "--http.drain_timeout_ms=1000",
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    std::string seen;
    char buf[256];
    ssize_t n;
    while (seen.find("flooded") == std::string::npos && (n = ::read(out[0], buf, sizeof buf)) > 0)
        seen.append(buf, static_cast<std::size_t>(n));
    ASSERT_NE(seen.find("flooded"), std::string::npos);
    auto start = std::chrono::steady_clock::now();
    ::kill(pid, SIGTERM);
    int st = 0;
    bool exited = nodus::test::wait_until([&] { return ::waitpid(pid, &st, WNOHANG) == pid; }, 5s);
    auto took = std::chrono::steady_clock::now() - start;
    if (!exited) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &st, 0);
    }
    ::close(out[0]);
    ::close(err[0]);
    ASSERT_TRUE(exited) << "still running 5 s after SIGTERM";
    EXPECT_EQ(exit_code(st), 0);
    // The logging thread is waited for up to the drain deadline (1 s), then the process exits;
    // a margin for a loaded machine. Without the bound it never exits.
    EXPECT_LT(took, 1000ms + 1000ms);
}

// Item 6: neither SIGHUP nor SIGUSR1 ends a single process. SIGHUP re-reads the
// configuration: a new [http] limit holds for the next request, a new [log] level at once.
TEST(app_process, sighup_rereads_limits_and_log_level_and_sigusr1_reopens_the_logs) {
    auto dir = std::filesystem::temp_directory_path() / ("nodus_sighup_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto ini = (dir / "app.ini").string();
    auto write_ini = [&](const char* level, int max_url) {
        std::ofstream f{ini, std::ios::trunc};
        f << "[log]\nlevel = " << level << "\n[http]\nmax_url_bytes = " << max_url << "\n";
    };
    write_ini("info", 8192);
    process p{{"--config", ini, "--server.port=0"}, {}, bin("apps/hello/hello")};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    const std::string get_long = "GET /?" + std::string(100, 'q') + " HTTP/1.1\r\nHost: x\r\n\r\n";
    EXPECT_EQ(nodus::test::exchange(port, get_long).status, 200);

    write_ini("debug", 64);
    p.signal(SIGHUP);
    ASSERT_TRUE(p.wait_for("SIGHUP: configuration re-read", 3s)) << p.log();
    EXPECT_EQ(nodus::test::exchange(port, get_long).status, 414);
    EXPECT_TRUE(p.wait_for("rejecting request with 414", 2s)) << p.log(); // a debug line

    p.signal(SIGUSR1);
    EXPECT_TRUE(p.wait_for("SIGUSR1: log files reopened", 3s)) << p.log();
    EXPECT_EQ(nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);

    write_ini("info", 0); // invalid: the running configuration stays
    p.signal(SIGHUP);
    EXPECT_TRUE(p.wait_for("SIGHUP: the new configuration is invalid", 3s)) << p.log();
    EXPECT_EQ(nodus::test::exchange(port, get_long).status, 414);

    p.signal(SIGTERM);
    EXPECT_EQ(exit_code(p.wait_exit(3s)), 0) << p.log();
    std::filesystem::remove_all(dir);
}
