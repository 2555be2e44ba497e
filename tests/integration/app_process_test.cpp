// The shipped apps and small programs as real processes: startup line, exit codes,
// signals, configuration errors.
#include "support/process_harness.hpp"
#include "support/http_client.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

using namespace std::chrono_literals;
using process_harness::process;

namespace {
std::string bin(const char* rel) { return std::string(NODUS_BINARY_DIR) + "/" + rel; }
std::string src(const char* rel) { return std::string(NODUS_SOURCE_DIR) + "/" + rel; }
int exit_code(std::optional<int> st) { return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1; }
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
    ASSERT_TRUE(busy.wait_read_by_server());   // in flight, not merely connected
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
    ASSERT_TRUE(busy.wait_read_by_server());   // in flight, not merely connected
    auto start = std::chrono::steady_clock::now();
    p.signal(SIGINT);
    EXPECT_TRUE(p.wait_for("SIGINT: stopping gracefully", 1s)) << p.log();
    EXPECT_FALSE(p.wait_exit(100ms)) << "the first signal waits for the slow request";
    p.signal(SIGINT);
    auto st = p.wait_exit(2s);
    ASSERT_TRUE(st);
    EXPECT_EQ(exit_code(st), 1);   // not a graceful stop
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
    process p{{"--config", src("config/echo.ini"), "--server.port=0", "--loop.threadpool_size=2"}, {},
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
        done_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
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
    process second{{"--config", src("config/hello.ini"), "--server.port=" + std::to_string(port)}, {},
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
    process p{{"--config", src("config/hello.ini"), "--server.port=0", "--server.host=localhost"}, {},
              bin("apps/hello/hello")};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    EXPECT_NE(p.log().find("Server running at http://localhost:"), std::string::npos) << p.log();
    auto r = nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "Hello World\n");
}

TEST(app_process, an_unknown_host_name_exits_2_naming_it) {
    process p{{"--config", src("config/hello.ini"), "--server.port=0", "--server.host=no-such-host.invalid"}, {},
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
    EXPECT_EQ(exit_code(st), 3);   // the code the program set
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
