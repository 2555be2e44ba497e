// child_process::spawn and child_process::fork, on the test process's own loop.
#include <nodus/process/child_process.hpp>
#include <nodus/loop/loop.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>

#include <unistd.h>

using namespace std::chrono_literals;
namespace cp = nodus::child_process;

namespace {
// Run the loop until `done` or 10 s.
template <class F>
void run_until(F done) {
    auto& io = nodus::io_context();
    auto end = std::chrono::steady_clock::now() + 10s;
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < end) {
        io.run_for(50ms);
        io.restart();
    }
}
} // namespace

TEST(child_process, spawn_delivers_output_and_exit) {
    std::string out, err;
    std::optional<cp::exit_status> status;
    auto c = cp::spawn("sh", {"-c", "echo hello; echo oops >&2; exit 7"});
    EXPECT_GT(c.pid(), 0);
    c.on_stdout([&](std::string_view s) { out += s; });
    c.on_stderr([&](std::string_view s) { err += s; });
    c.on_exit([&](cp::exit_status s) { status = s; });
    run_until([&] { return status.has_value(); });
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 7);
    EXPECT_EQ(out, "hello\n");
    EXPECT_EQ(err, "oops\n");
    EXPECT_FALSE(c.running());
}

TEST(child_process, spawn_env_and_kill) {
    std::string out;
    std::optional<cp::exit_status> status;
    cp::spawn_options o;
    o.env.push_back("NODUS_CP_TEST=42");
    auto c = cp::spawn("sh", {"-c", "echo $NODUS_CP_TEST; exec sleep 30"}, o);
    c.on_stdout([&](std::string_view s) { out += s; });
    c.on_exit([&](cp::exit_status s) { status = s; });
    run_until([&] { return !out.empty(); });
    EXPECT_EQ(out, "42\n");
    EXPECT_TRUE(c.kill(SIGTERM));
    run_until([&] { return status.has_value(); });
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, -1);
    EXPECT_EQ(status->signal, SIGTERM);
}

TEST(child_process, spawn_missing_program_throws) {
    EXPECT_THROW(cp::spawn("/nonexistent/program"), std::system_error);
}

TEST(child_process, fork_round_trip) {
    std::vector<std::string> got;
    std::optional<cp::exit_status> status;
    auto f = cp::fork([](cp::parent_channel& ch) {
        while (auto m = ch.receive()) {
            if (*m == "bye") return 5;
            ch.send("echo:" + *m);
        }
        return 1;
    });
    EXPECT_GT(f.pid(), 0);
    f.on_message([&](std::string_view m) {
        got.emplace_back(m);
        if (got.size() == 3) f.send("bye");
    });
    f.on_exit([&](cp::exit_status s) { status = s; });
    f.send("a");
    f.send("b");
    f.send(std::string(60000, 'x'));
    EXPECT_FALSE(f.send(std::string(70000, 'y'))) << "over 64 KiB is refused";
    run_until([&] { return status.has_value(); });
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 5);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], "echo:a");
    EXPECT_EQ(got[1], "echo:b");
    EXPECT_EQ(got[2].size(), 60005u);
}

TEST(child_process, fork_child_sees_disconnect) {
    std::optional<cp::exit_status> status;
    auto f = cp::fork([](cp::parent_channel& ch) { return ch.receive() ? 1 : 9; });
    f.on_exit([&](cp::exit_status s) { status = s; });
    f.disconnect();
    run_until([&] { return status.has_value(); });
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 9);
}
