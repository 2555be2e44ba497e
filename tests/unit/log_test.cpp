#include <nodus/log/log.hpp>

#include <spdlog/logger.h>

#include "support/wait_until.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

// True when every thread of this process but the calling one is asleep (state S in
// /proc/self/task/*/stat).
bool other_threads_sleep() {
    const auto self = std::to_string(::gettid());
    for (const auto& task : fs::directory_iterator("/proc/self/task")) {
        if (task.path().filename() == self) continue;
        std::ifstream in(task.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto close = stat.rfind(')');
        if (close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'S') return false;
    }
    return true;
}

class log_test : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "nodus-log-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }

    void TearDown() override {
        nodus::log::shutdown();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    nodus::log_config to_file(const std::string& name, bool access = true, std::string level = "info") {
        nodus::log_config c;
        c.destination = (dir_ / name).string();
        c.access_log = access;
        c.level = std::move(level);
        return c;
    }

    std::vector<std::string> lines_of(const std::string& name) {
        std::ifstream in(dir_ / name);
        std::vector<std::string> lines;
        for (std::string l; std::getline(in, l);) lines.push_back(l);
        return lines;
    }

    static std::string prefix(const std::string& kind, const std::string& where) {
        return R"(\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] \[)" + kind + R"(\] \[)" + where + R"(\] )";
    }

    static std::string pid() { return std::to_string(::getpid()); }

    fs::path dir_;
};

TEST_F(log_test, get_works_before_init) {
    nodus::log::shutdown();
    spdlog::logger& l = nodus::log::get();
    EXPECT_EQ(l.name(), "nodus");
    EXPECT_TRUE(l.should_log(spdlog::level::info));
    EXPECT_FALSE(l.should_log(spdlog::level::debug));
    EXPECT_FALSE(nodus::log::access_enabled());
}

TEST_F(log_test, writes_main_and_access_lines_with_tag_and_pid) {
    nodus::log::init(to_file("a.log"), "worker 2");
    EXPECT_TRUE(nodus::log::access_enabled());
    nodus::log::get().info("hello {}", 42);
    nodus::log::access("127.0.0.1", "GET", "/path?q=1", 200, 12, 0.1534);
    nodus::log::shutdown();

    const auto lines = lines_of("a.log");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_TRUE(std::regex_match(lines[0], std::regex(prefix("info", "worker 2 pid " + pid()) + "hello 42")))
        << lines[0];
    EXPECT_TRUE(std::regex_match(lines[1],
                                 std::regex(prefix("access", "worker 2 pid " + pid()) +
                                            R"(127\.0\.0\.1 "GET /path\?q=1" 200 12 0\.153ms)")))
        << lines[1];
}

TEST_F(log_test, without_tag_lines_carry_only_the_pid) {
    nodus::log::init(to_file("b.log"));
    nodus::log::get().warn("careful");
    nodus::log::shutdown();
    const auto lines = lines_of("b.log");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(std::regex_match(lines[0], std::regex(prefix("warning", "pid " + pid()) + "careful")))
        << lines[0];
}

TEST_F(log_test, level_filters_main_logger_but_not_access_log) {
    nodus::log::init(to_file("c.log", true, "warn"));
    nodus::log::get().info("hidden");
    nodus::log::get().error("shown");
    nodus::log::access("::1", "POST", "/", 201, 0, 1.0);
    nodus::log::shutdown();
    const auto lines = lines_of("c.log");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[0].find("[error]"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("shown"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find(R"(::1 "POST /" 201 0 1.000ms)"), std::string::npos) << lines[1];
}

TEST_F(log_test, access_log_off_writes_nothing) {
    nodus::log::init(to_file("d.log", false));
    EXPECT_FALSE(nodus::log::access_enabled());
    nodus::log::access("127.0.0.1", "GET", "/", 200, 5, 0.5);
    nodus::log::shutdown();
    EXPECT_TRUE(lines_of("d.log").empty());
}

TEST_F(log_test, access_line_escapes_quotes_and_newlines_from_the_client) {
    nodus::log::init(to_file("e.log"));
    nodus::log::access("127.0.0.1", "GET", "/a\"b\nc", 400, 0, 0.0);
    nodus::log::shutdown();
    const auto lines = lines_of("e.log");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find(R"("GET /a\x22b\x0ac" 400 0 0.000ms)"), std::string::npos) << lines[0];
}

TEST_F(log_test, init_again_after_shutdown_writes_to_the_new_destination) {
    nodus::log::init(to_file("first.log"), "worker 1");
    nodus::log::get().info("one");
    nodus::log::shutdown();
    EXPECT_EQ(nodus::log::get().name(), "nodus"); // the fallback, usable between the two
    nodus::log::init(to_file("second.log"), "worker 2");
    nodus::log::get().info("two");
    nodus::log::shutdown();

    const auto first = lines_of("first.log");
    const auto second = lines_of("second.log");
    ASSERT_EQ(first.size(), 1u);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_NE(first[0].find("[worker 1 pid " + pid() + "] one"), std::string::npos) << first[0];
    EXPECT_NE(second[0].find("[worker 2 pid " + pid() + "] two"), std::string::npos) << second[0];
}

TEST_F(log_test, init_twice_without_shutdown_replaces_the_loggers) {
    nodus::log::init(to_file("x.log"));
    nodus::log::get().info("x");
    nodus::log::init(to_file("y.log"));
    nodus::log::get().info("y");
    nodus::log::shutdown();
    ASSERT_EQ(lines_of("x.log").size(), 1u);
    ASSERT_EQ(lines_of("y.log").size(), 1u);
    EXPECT_NE(lines_of("y.log")[0].find("] y"), std::string::npos);
}

TEST_F(log_test, unwritable_destination_is_a_config_error_naming_it) {
    const auto file = (dir_ / "plain").string();
    std::ofstream(file) << "x";
    nodus::log_config c;
    c.destination = file + "/sub/x.log";
    try {
        nodus::log::init(c);
        FAIL() << "init did not throw";
    } catch (const nodus::config_error& e) {
        EXPECT_NE(std::string(e.what()).find("destination = \"" + c.destination + "\""), std::string::npos)
            << e.what();
    }
}

// A reader that never reads stalls the logging thread; logging must neither block nor grow
// without bound, and the lines it had to drop are counted.
TEST_F(log_test, a_stalled_destination_drops_and_counts_instead_of_blocking) {
    const auto fifo = (dir_ / "fifo").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader, 0);

    nodus::log_config c;
    c.destination = fifo;
    nodus::log::init(c);
    EXPECT_EQ(nodus::log::dropped(), 0u);
    const std::string filler(200, 'x');
    for (int i = 0; i < 50000; ++i) nodus::log::get().info("{} {}", i, filler);
    const auto dropped = nodus::log::dropped();
    EXPECT_GT(dropped, 0u);

    // Drain the pipe so shutdown can finish writing what is still queued.
    ::fcntl(reader, F_SETFL, 0);
    std::thread drain([reader] {
        char buf[65536];
        while (::read(reader, buf, sizeof buf) > 0) {}
    });
    nodus::log::shutdown();
    drain.join();
    ::close(reader);
    EXPECT_GE(nodus::log::dropped(), dropped);
}

// Each worker calls init after fork(); its lines carry its own pid and tag.
TEST_F(log_test, child_can_init_after_fork) {
    nodus::log::init(to_file("parent.log"));
    nodus::log::get().info("before fork");
    nodus::log::shutdown();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        nodus::log::init(to_file("child.log"), "worker 1");
        nodus::log::get().info("in child");
        nodus::log::shutdown();
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const auto lines = lines_of("child.log");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(std::regex_match(
        lines[0], std::regex(prefix("info", "worker 1 pid " + std::to_string(child)) + "in child")))
        << lines[0];
    EXPECT_EQ(lines_of("parent.log").size(), 1u);
}

// Forking with the logging thread still running is a caller bug; the child must still be able
// to start its own loggers instead of hanging on the thread it did not inherit.
TEST_F(log_test, child_forked_without_shutdown_can_still_init) {
    nodus::log::init(to_file("parent.log"));
    // The logging threads must be waiting, not starting: a thread that is inside malloc when
    // the process forks leaves the child's copy of the allocator locked (the sanitizers'
    // allocator has no fork handler), which would hang the child whatever the logger does.
    ASSERT_TRUE(nodus::test::wait_until([] { return other_threads_sleep(); }));
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::alarm(10);
        nodus::log::init(to_file("child.log"), "worker 3");
        nodus::log::get().info("still fine");
        nodus::log::shutdown();
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    const auto lines = lines_of("child.log");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("[worker 3 pid " + std::to_string(child) + "] still fine"), std::string::npos)
        << lines[0];
}

// logrotate renames the file, then signals: the lines after reopen() go to a new file of
// the old name, those before stay in the renamed one.
TEST_F(log_test, reopen_writes_on_to_a_new_file_of_the_same_name) {
    nodus::log::init(to_file("r.log"));
    nodus::log::get().warn("before");
    nodus::log::access("127.0.0.1", "GET", "/before", 200, 1, 0.1);
    // Both logs write within 100 ms: wait for them before moving the file.
    ASSERT_TRUE(nodus::test::wait_until([&] { return lines_of("r.log").size() == 2; }));
    fs::rename(dir_ / "r.log", dir_ / "r.log.1");
    nodus::log::reopen();
    nodus::log::get().warn("after");
    nodus::log::access("127.0.0.1", "GET", "/after", 200, 1, 0.1);
    nodus::log::shutdown();
    const auto old_lines = lines_of("r.log.1");
    const auto new_lines = lines_of("r.log");
    ASSERT_EQ(old_lines.size(), 2u);
    ASSERT_EQ(new_lines.size(), 2u);
    EXPECT_NE(old_lines[1].find("/before"), std::string::npos);
    EXPECT_NE(new_lines[0].find("after"), std::string::npos);
    EXPECT_NE(new_lines[1].find("/after"), std::string::npos);
}

TEST_F(log_test, access_lines_can_have_a_destination_and_format_of_their_own) {
    auto c = to_file("main.log");
    c.access_destination = (dir_ / "access.log").string();
    c.access_format = "combined";
    nodus::log::init(c);
    nodus::log::get().info("main line");
    nodus::log::access("127.0.0.1", "GET", "/x", 404, 10, 0.5);
    nodus::log::shutdown();
    ASSERT_EQ(lines_of("main.log").size(), 1u);
    const auto access = lines_of("access.log");
    ASSERT_EQ(access.size(), 1u);
    EXPECT_TRUE(
        std::regex_match(access[0], std::regex(R"(127\.0\.0\.1 - - \[[^\]]+\] "GET /x" 404 10 "-" "-")")))
        << access[0];
}

TEST_F(log_test, an_unknown_access_format_is_a_config_error) {
    auto c = to_file("f.log");
    c.access_format = "apache";
    EXPECT_THROW(nodus::log::init(c), nodus::config_error);
}

// A full disk: every line is refused; the loop side never notices, the count grows, and
// the main log says so (once: at most one report per 10 s).
TEST_F(log_test, a_full_destination_loses_access_lines_and_counts_them) {
    auto c = to_file("main.log");
    c.access_destination = "/dev/full";
    const auto before = nodus::log::access_lines_dropped();
    nodus::log::init(c);
    for (int i = 0; i < 100; ++i) nodus::log::access("127.0.0.1", "GET", "/", 200, 1, 0.1);
    EXPECT_TRUE(nodus::test::wait_until([&] { return nodus::log::access_lines_dropped() >= before + 100; }));
    for (int i = 0; i < 100; ++i) nodus::log::access("127.0.0.1", "GET", "/", 200, 1, 0.1);
    nodus::log::shutdown();
    EXPECT_EQ(nodus::log::access_lines_dropped(), before + 200);
    const auto lines = lines_of("main.log");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("access log: "), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find(" lines dropped so far"), std::string::npos) << lines[0];
}

// A pipe nobody reads: the writer blocks, the callers do not; past the bound lines are
// dropped and counted instead of queued.
TEST_F(log_test, a_stalled_access_destination_never_blocks_the_caller) {
    const auto fifo = (dir_ / "access.fifo").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader, 0);
    auto c = to_file("main.log");
    c.access_destination = fifo;
    const auto before = nodus::log::access_lines_dropped();
    nodus::log::init(c);
    nodus::log::set_shutdown_wait(std::chrono::milliseconds(200));
    const std::string target(200, 't');
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20000; ++i) nodus::log::access("127.0.0.1", "GET", target, 200, 1, 0.1);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    // 20,000 lines of 250 bytes: the pipe (64 KiB) and the bound (512 KiB) hold at most ~2,400.
    EXPECT_GT(nodus::log::access_lines_dropped(), before + 15000);
    nodus::log::shutdown(); // gives up on the stuck writer after the wait
    nodus::log::set_shutdown_wait(std::chrono::milliseconds(10000));
    EXPECT_TRUE(nodus::test::wait_until([&] {
        const auto l = lines_of("main.log");
        return !l.empty() && l[0].find("lines dropped so far") != std::string::npos;
    }));
    ::close(reader);
}

} // namespace
