// A graceful stop ends the open event streams at once (the browser reconnects, to another
// worker during a reload) instead of holding the drain open until its timeout.
#include "support/process_harness.hpp"
#include "support/read_until.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace process_harness;

TEST(sse_process, sigterm_ends_open_streams_without_waiting_for_the_drain_timeout) {
    process p{{"--server.port=0", "--http.drain_timeout_ms=30000", "--log.access_log=false"},
              {},
              NODUS_BINARY_DIR "/tests/sse_server"};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    client c{port};
    c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string got;
    nodus::test::read_until(c.fd(), got, "data: hi\n\n");
    ASSERT_NE(got.find("id: 1\ndata: hi\n\n"), std::string::npos) << got;

    auto t0 = clock::now();
    p.signal(SIGTERM);
    // The stream ends properly: the last chunk, then the connection closes.
    std::string rest = c.read_until_close();
    EXPECT_NE((got + rest).find("\r\n0\r\n\r\n"), std::string::npos) << got << rest;
    auto code = p.wait_exit(10s);
    ASSERT_TRUE(code) << p.log();
    EXPECT_EQ(*code, 0) << p.log();
    EXPECT_LT(clock::now() - t0, 5s) << "the stop waited for the drain timeout";
}
