// apps/chat from outside: a cluster of 2 workers (round_robin, so consecutive connections go
// to different workers), WebSocket clients (Boost.Beast's), an SSE reader, and real signals.
#include "support/process_harness.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace process_harness;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bws = boost::beast::websocket;

namespace {

std::string src(const char* rel) { return std::string(NODUS_SOURCE_DIR) + "/" + rel; }

struct ws_client {
    asio::io_context ioc;
    bws::stream<asio::ip::tcp::socket> ws{ioc};
    beast::flat_buffer buf;
    ws_client(std::uint16_t port, const char* path) {
        ws.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
        timeval tv{5, 0};
        ::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ws.handshake("127.0.0.1", path);
    }
    std::string read() {
        buf.clear();
        ws.read(buf);
        return beast::buffers_to_string(buf.data());
    }
    std::uint16_t local_port() { return ws.next_layer().local_endpoint().port(); }
};

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

// Raw bytes from `c` until they contain `text` (5 s at most).
std::string read_until(client& c, std::string& got, std::string_view text) {
    auto deadline = clock::now() + 5s;
    while (got.find(text) == std::string::npos && clock::now() < deadline) {
        pollfd p{c.fd(), POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        auto n = ::recv(c.fd(), buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
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
    read_until(events, stream, "\r\n\r\n");
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
    read_until(events, stream, "data: and from b\n\n");
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
