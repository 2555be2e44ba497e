// A server out of descriptors (a real process with a low RLIMIT_NOFILE) keeps retrying its
// accept, counts the failures, and logs them as a few lines with counts, not ten a second.
#include "support/http_client.hpp"
#include "support/process_harness.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <vector>

using namespace std::chrono_literals;
using process_harness::process;

// Growing the table while a burst waits costs each size on the way an RCU grace period in a
// process with threads (net/detail/descriptor_table.hpp); a process starts with 64 entries.
TEST(http_accept_errors, a_server_grows_its_descriptor_table_to_its_limit_before_connections_come) {
    process p{{"3000"}, {}, NODUS_BINARY_DIR "/tests/fd_limit_server"};
    ASSERT_NE(p.port(), 0) << p.log();
    EXPECT_GE(process_harness::descriptor_table_size(p.pid()), 3000u);
    EXPECT_LT(process_harness::descriptor_table_size(p.pid()), 8192u) << "no more than the limit allows";
}

TEST(http_accept_errors, descriptor_exhaustion_is_counted_and_logged_once_per_interval) {
    process p{{"24"}, {}, NODUS_BINARY_DIR "/tests/fd_limit_server"};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    // More keep-alive connections than the process has descriptors for (the kernel queues
    // the ones it cannot accept).
    std::vector<std::unique_ptr<nodus::test::client>> held;
    for (int i = 0; i < 40; ++i) {
        held.push_back(std::make_unique<nodus::test::client>(port));
        held.back()->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    ASSERT_TRUE(p.wait_for("accept failed: Too many open files (1 time since the last report", 2s))
        << p.log();
    // Retries come every 100 ms; the log stays at one line.
    EXPECT_FALSE(p.wait_for("accept failed", 1500ms, 2)) << p.log();
    held.clear(); // descriptors come back: the waiting connection is accepted
    ASSERT_TRUE(p.wait_for("accepting again", 3s)) << p.log();
    std::smatch m;
    auto log = p.log();
    ASSERT_TRUE(std::regex_search(
        log, m,
        std::regex(R"(accepting again \((\d+) more failed accepts since the last report; (\d+) in all\))")))
        << log;
    auto total = std::stoull(m[2].str());
    EXPECT_GE(std::stoull(m[1].str()), 5u) << log; // retried every 100 ms for 1.5 s
    EXPECT_EQ(total, std::stoull(m[1].str()) + 1);
    auto r = nodus::test::exchange(port, "GET /accept_errors HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, std::to_string(total));
    EXPECT_EQ(p.count("accept failed"), 1) << log;
}
