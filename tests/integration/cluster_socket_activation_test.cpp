// systemd socket activation: the master adopts the listening socket it is given as fd 3
// (LISTEN_FDS=1, LISTEN_PID=its pid) instead of binding one, and its workers serve it.
#include "support/process_harness.hpp"
#include "support/http_client.hpp"

using namespace process_harness;

TEST(cluster, adopts_a_socket_passed_by_systemd) {
    // The configured port is ignored: the passed socket is served.
    socket_activated p{{"--cluster.workers=2", "--server.port=1", "--log.access_log=false"}};
    auto port = p.port();
    const auto& log = p.log_until("all 2 workers are listening");
    EXPECT_NE(log.find("all 2 workers are listening"), std::string::npos) << log;
    EXPECT_NE(log.find("Server running at http://127.0.0.1:" + std::to_string(port) + "/"), std::string::npos)
        << log;
    for (int i = 0; i < 20; ++i) {
        auto raw = nodus::test::roundtrip(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        EXPECT_EQ(nodus::test::status_of(raw), 200) << raw;
    }
    EXPECT_TRUE(p.stop()) << "exit status after SIGTERM";
}
