// apps/chat from outside: a cluster of 2 workers (round_robin, so consecutive connections go
// to different workers), WebSocket clients (Boost.Beast's), an SSE reader, and real signals.
#include "support/process_harness.hpp"
#include "support/read_until.hpp"
#include "support/ws_client.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace process_harness;
using nodus::test::read_until;
using nodus::test::ws_client;
namespace asio = boost::asio;
namespace bws = boost::beast::websocket;

namespace {

std::string src(const char* rel) { return std::string(NODUS_SOURCE_DIR) + "/" + rel; }

// The pid among `pids` whose descriptors hold the server side (:`server_port`) of the
// established connection from 127.0.0.1:`client_port` (from /proc/net/tcp and
// /proc/PID/fd); 0 when none does.
int owner_of(std::uint16_t server_port, std::uint16_t client_port, const std::vector<int>& pids) {
    std::ifstream tcp("/proc/net/tcp");
    std::string line, inode;
    char want[16], local_want[16];
    std::snprintf(want, sizeof want, ":%04X", client_port);
    std::snprintf(local_want, sizeof local_want, ":%04X", server_port);
    while (std::getline(tcp, line)) {
        std::istringstream in(line);
        std::string sl, local, remote, st, queues, tr, retr, uid, timeout;
        in >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode;
        if (st == "01" && remote.size() > 5 && remote.substr(remote.size() - 5) == want && local.size() > 5 &&
            local.substr(local.size() - 5) == local_want)
            break;
        inode.clear();
    }
    if (inode.empty()) return 0;
    std::string target = "socket:[" + inode + "]";
    for (int pid : pids) {
        std::error_code ec;
        for (auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
            std::error_code ec2;
            if (std::filesystem::read_symlink(e.path(), ec2).string() == target) return pid;
        }
    }
    return 0;
}

} // namespace

TEST(chat_process, messages_reach_every_client_of_every_worker) {
    process p{{"--config", src("config/chat.ini"), "--server.port=0", "--cluster.workers=2",
               "--cluster.balance=round_robin", "--log.access_log=false"},
              {},
              std::string(NODUS_BINARY_DIR) + "/apps/chat/chat"};
    auto port = p.port();
    ASSERT_NE(port, 0) << p.log();
    ASSERT_TRUE(p.wait_for("all 2 workers are listening", 10s)) << p.log();

    // The page: self-contained, with the status element the browser test watches.
    client page{port};
    auto home = page.get("/");
    ASSERT_TRUE(home);
    EXPECT_EQ(home->status, 200);
    EXPECT_EQ(home->header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(home->body.find("id=\"status\""), std::string::npos);
    EXPECT_EQ(home->body.find("http://"), std::string::npos) << "the page loads something from elsewhere";
    EXPECT_EQ(home->body.find("https://"), std::string::npos) << "the page loads something from elsewhere";
    page.close();

    client events{port};
    events.send("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
    std::string stream;
    read_until(events.fd(), stream, "\r\n\r\n");
    ASSERT_NE(stream.find("text/event-stream"), std::string::npos) << stream;

    ws_client a{port, "/chat"};
    ws_client b{port, "/chat"};
    auto workers = p.workers();
    ASSERT_EQ(workers.size(), 2u);
    int wa = owner_of(port, a.local_port(), workers), wb = owner_of(port, b.local_port(), workers);
    ASSERT_NE(wa, 0);
    ASSERT_NE(wb, 0);
    EXPECT_NE(wa, wb) << "both clients are on worker " << wa << ": the test proves nothing across workers";

    a.ws.write(asio::buffer(std::string("hello from a")));
    EXPECT_EQ(a.read(), "hello from a") << "the sender did not get its own message";
    EXPECT_EQ(b.read(), "hello from a") << "the other worker's client did not get it";
    b.ws.write(asio::buffer(std::string("and from b")));
    EXPECT_EQ(a.read(), "and from b");
    EXPECT_EQ(b.read(), "and from b");
    read_until(events.fd(), stream, "data: and from b\n\n");
    EXPECT_NE(stream.find("id: 1\ndata: hello from a\n\n"), std::string::npos) << stream;
    EXPECT_NE(stream.find("id: 2\ndata: and from b\n\n"), std::string::npos) << stream;

    ws_client e{port, "/echo"};
    e.ws.binary(true);
    std::string bin("\x00\x01\x02\xff", 4);
    e.ws.write(asio::buffer(bin));
    EXPECT_EQ(e.read(), bin);
    EXPECT_TRUE(e.ws.got_binary());

    // A graceful stop closes every WebSocket with 1001 and ends the event streams.
    p.signal(SIGTERM);
    for (auto* c : {&a, &b, &e}) {
        try {
            c->read();
            ADD_FAILURE() << "a message instead of the close";
        } catch (const boost::system::system_error& err) {
            EXPECT_EQ(err.code(), bws::error::closed) << err.code().message();
            EXPECT_EQ(c->ws.reason().code, 1001);
        }
    }
    auto code = p.wait_exit(15s);
    ASSERT_TRUE(code) << p.log();
    EXPECT_EQ(*code, 0) << p.log();
}
