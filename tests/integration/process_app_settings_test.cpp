// Application settings and the environment, with real processes: a program that declares
// [demo] settings (tests/programs/settings_app.cpp), the hello app under Kubernetes' NODUS_*
// variables, SIGHUP in a single process and in a cluster.
#include "support/http_client.hpp"
#include "support/process_harness.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using process_harness::process;

namespace {

std::string bin(const char* rel) { return std::string(NODUS_BINARY_DIR) + "/" + rel; }
std::string src(const char* rel) { return std::string(NODUS_SOURCE_DIR) + "/" + rel; }
int exit_code(std::optional<int> st) { return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1; }

std::string body_of(std::uint16_t port) {
    return nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").body;
}

class app_settings_process : public ::testing::Test {
protected:
    app_settings_process() {
        dir_ = std::filesystem::temp_directory_path() /
            ("nodus_app_settings_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
        ini_ = (dir_ / "app.ini").string();
    }
    ~app_settings_process() override { std::filesystem::remove_all(dir_); }

    void write_ini(const std::string& content) { std::ofstream(ini_, std::ios::trunc) << content; }

    std::filesystem::path dir_;
    std::string ini_;
};

} // namespace

// Kubernetes injects these into every pod when a Service is called "nodus".
TEST(env_process, kubernetes_service_variables_do_not_stop_the_program) {
    process p{{"--config", src("config/hello.ini"), "--server.port=0"},
              {"NODUS_SERVICE_HOST=10.96.0.12", "NODUS_SERVICE_PORT=80", "NODUS_PORT=tcp://10.96.0.12:80",
               "NODUS_PORT_80_TCP_ADDR=10.96.0.12", "NODUS_PORT_80_TCP_PORT=80"},
              bin("apps/hello/hello")};
    const auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    EXPECT_EQ(nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
    const auto log = p.log();
    EXPECT_EQ(p.count("ignoring environment variable(s)"), 1) << log;
    EXPECT_NE(log.find("NODUS_PORT_80_TCP_ADDR"), std::string::npos) << log;
    EXPECT_NE(log.find("NODUS_SERVICE_HOST"), std::string::npos) << log;
    EXPECT_EQ(log.find("10.96.0.12"), std::string::npos) << log; // names only, never values
    p.signal(SIGTERM);
    EXPECT_EQ(exit_code(p.wait_exit(5s)), 0) << p.log();
}

TEST(env_process, a_bad_value_in_a_known_variable_still_stops_it) {
    process p{{"--config", src("config/hello.ini")},
              {"NODUS_SERVICE_HOST=10.96.0.12", "NODUS_SERVER_PORT=http"},
              bin("apps/hello/hello")};
    EXPECT_EQ(exit_code(p.wait_exit(5s)), 2) << p.log();
    EXPECT_NE(p.log().find("NODUS_SERVER_PORT=http: not a valid port"), std::string::npos) << p.log();
}

TEST_F(app_settings_process, declared_settings_come_from_file_environment_and_flags) {
    write_ini("[demo]\ngreeting = hi\nmax_items = 3\n");
    process p{{"--config", ini_, "--server.port=0", "--demo.greeting=hey"},
              {"NODUS_DEMO_MAX_ITEMS=20", "NODUS_DEMO_GREETING=yo"},
              bin("tests/settings_app")};
    const auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    EXPECT_EQ(body_of(port).rfind("hey 20 ", 0), 0u);
}

TEST_F(app_settings_process, help_lists_them_and_exits_0) {
    process p{{"--help"}, {}, bin("tests/settings_app")};
    EXPECT_EQ(exit_code(p.wait_exit(5s)), 0);
    const auto log = p.log();
    EXPECT_NE(log.find("Application settings"), std::string::npos) << log;
    EXPECT_NE(log.find("--demo.max_items"), std::string::npos) << log;
    EXPECT_NE(log.find("NODUS_DEMO_GREETING"), std::string::npos) << log;
}

TEST_F(app_settings_process, a_value_out_of_range_exits_2_naming_file_line_key_value) {
    write_ini("[demo]\n# at most 100\nmax_items = 500\n");
    process p{{"--config", ini_}, {}, bin("tests/settings_app")};
    EXPECT_EQ(exit_code(p.wait_exit(5s)), 2);
    EXPECT_NE(p.log().find(ini_ + ":3: [demo] max_items = \"500\": must be from 1 to 100"), std::string::npos)
        << p.log();
}

TEST_F(app_settings_process, an_unknown_key_in_a_declared_section_exits_2) {
    write_ini("[demo]\ngreting = hi\n");
    process p{{"--config", ini_}, {}, bin("tests/settings_app")};
    EXPECT_EQ(exit_code(p.wait_exit(5s)), 2);
    EXPECT_NE(p.log().find("[demo] greting: unknown key (keys in [demo]: greeting, max_items)"),
              std::string::npos)
        << p.log();
}

TEST_F(app_settings_process, sighup_rereads_them_in_a_single_process) {
    write_ini("[demo]\ngreeting = before\n");
    process p{{"--config", ini_, "--server.port=0"}, {}, bin("tests/settings_app")};
    const auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    EXPECT_EQ(body_of(port).rfind("before 10 ", 0), 0u);

    write_ini("[demo]\ngreeting = after\nmax_items = 42\n");
    p.signal(SIGHUP);
    ASSERT_TRUE(p.wait_for("SIGHUP: configuration re-read", 3s)) << p.log();
    EXPECT_EQ(body_of(port).rfind("after 42 ", 0), 0u);

    write_ini("[demo]\ngreeting = broken\nmax_items = 0\n"); // invalid: the values stay
    p.signal(SIGHUP);
    ASSERT_TRUE(p.wait_for("SIGHUP: the new configuration is invalid", 3s)) << p.log();
    EXPECT_EQ(body_of(port).rfind("after 42 ", 0), 0u);
    p.signal(SIGTERM);
    EXPECT_EQ(exit_code(p.wait_exit(5s)), 0) << p.log();
}

TEST_F(app_settings_process, sighup_gives_a_cluster_new_workers_with_the_new_values) {
    write_ini("[cluster]\nworkers = 2\n[demo]\ngreeting = before\n");
    process p{{"--config", ini_, "--server.port=0"}, {}, bin("tests/settings_app")};
    const auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();
    EXPECT_EQ(body_of(port).rfind("before 10 ", 0), 0u);

    write_ini("[cluster]\nworkers = 2\n[demo]\ngreeting = after\nmax_items = 7\n");
    p.signal(SIGHUP);
    ASSERT_TRUE(p.wait_for("cluster: reload complete", 20s)) << p.log();
    std::set<std::string> pids;
    for (int i = 0; i < 20; ++i) {
        const auto body = body_of(port);
        EXPECT_EQ(body.rfind("after 7 ", 0), 0u) << body;
        pids.insert(body.substr(body.rfind(' ') + 1));
    }
    EXPECT_GE(pids.size(), 1u);
    p.signal(SIGTERM);
    EXPECT_EQ(exit_code(p.wait_exit(10s)), 0) << p.log();
}
