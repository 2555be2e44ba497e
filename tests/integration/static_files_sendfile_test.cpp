// File bodies sent with sendfile(2): pipelined requests keep their order behind a file, a
// file that shrinks while it is sent closes the connection (sendfile and the pool-read
// fallback alike) and the server goes on, and a 1 GiB download, fast or slow, does not hold
// up the other clients of the loop.
#include "support/http_client.hpp"
#include "support/static_tree.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include "http/detail/access.hpp"

#include <nodus/compress/compression.hpp>
#include <nodus/static_files/static_files.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using nodus::test::client;
using nodus::test::static_tree;
using nodus::test::test_server;
using nodus::test::wait_until;
using clock_type = std::chrono::steady_clock;

namespace {

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4093) % 26);
    return s;
}

int connect_to(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

// Sends `request` and reads until the server closes (or 30 s of silence); `pace` sleeps
// between reads of `chunk` bytes to make a slow reader. `received` is updated as it goes.
std::uint64_t download(std::uint16_t port, const std::string& request, std::atomic<std::uint64_t>& received,
                       std::size_t chunk, std::chrono::microseconds pace,
                       std::uint64_t stop_after = UINT64_MAX) {
    int fd = connect_to(port);
    if (fd < 0) return 0;
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::vector<char> buf(chunk);
    for (;;) {
        auto n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n <= 0) break;
        received += static_cast<std::uint64_t>(n);
        if (received >= stop_after) break;
        if (pace.count()) std::this_thread::sleep_for(pace);
    }
    ::close(fd);
    return received;
}

class static_files_sendfile : public ::testing::Test {
protected:
    static_files_sendfile() {
        routes_.use("/f", nodus::static_files(tree_.root, {.fallthrough = false}));
        routes_.use("/z", nodus::compression());
        routes_.use("/z", nodus::static_files(tree_.root, {.fallthrough = false}));
        srv_ = std::make_unique<test_server>(routes_);
    }
    std::uint64_t sent_with_sendfile() {
        std::uint64_t n = 0;
        srv_->on_loop([&] { n = nodus::detail::sendfile_bytes(); });
        return n;
    }
    // Several GETs of a small file on one connection: the slowest answer.
    clock_type::duration slowest_of(int n) {
        client c{srv_->port()};
        clock_type::duration worst{};
        for (int i = 0; i < n; ++i) {
            auto t0 = clock_type::now();
            auto r = c.exchange("GET /f/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
            worst = std::max(worst, clock_type::now() - t0);
            EXPECT_EQ(r.body, "hello world\n");
        }
        return worst;
    }
    void truncated_while_sent(const std::string& target, bool sendfile);

    static_tree tree_;
    nodus::router routes_;
    std::unique_ptr<test_server> srv_;
};

void static_files_sendfile::truncated_while_sent(const std::string& target, bool sendfile) {
    constexpr std::size_t size = 64u << 20;
    static_tree::write(tree_.root + "/big.bin", pattern(size));
    auto before = sent_with_sendfile();
    client c{srv_->port(), std::chrono::seconds(20)};
    c.send("GET " + target + " HTTP/1.1\r\nHost: t\r\n\r\n");
    // The server has filled the socket and waits for the client: shrink the file now.
    ASSERT_TRUE(wait_until([&] { return c.wait_read_by_server(std::chrono::milliseconds(100)); }));
    ASSERT_TRUE(wait_until([&] {
        auto a = sent_with_sendfile();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return !sendfile || (a > before && a == sent_with_sendfile());
    }));
    ASSERT_EQ(::truncate((tree_.root + "/big.bin").c_str(), 1 << 20), 0);
    auto t0 = clock_type::now();
    auto raw = c.read_until_close();
    EXPECT_LT(clock_type::now() - t0, std::chrono::seconds(5)) << "the connection was not closed";
    auto head_end = raw.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    EXPECT_EQ(nodus::test::status_of(raw), 200);
    EXPECT_NE(raw.find("Content-Length: " + std::to_string(size)), std::string::npos);
    auto body = raw.size() - head_end - 4;
    EXPECT_LT(body, size) << "a body as long as Content-Length was sent";
    auto check = std::min(body, std::size_t{1} << 20);
    EXPECT_TRUE(raw.compare(head_end + 4, check, pattern(size), 0, check) == 0)
        << "the bytes sent are not the file's";
    EXPECT_EQ(sendfile, sent_with_sendfile() > before);
    // The server goes on.
    client other{srv_->port()};
    EXPECT_EQ(other.exchange("GET /f/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").body, "hello world\n");
}

} // namespace

TEST_F(static_files_sendfile, pipelined_requests_keep_their_order_behind_a_file) {
    auto text = pattern(3u << 20);
    static_tree::write(tree_.root + "/three.bin", text);
    client c{srv_->port(), std::chrono::seconds(20)};
    c.send(
        "GET /f/three.bin HTTP/1.1\r\nHost: t\r\n\r\n"
        "GET /f/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
        "HEAD /f/three.bin HTTP/1.1\r\nHost: t\r\n\r\n"
        "GET /f/digits.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    auto a = c.read_response();
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->body == text);
    auto b = c.read_response();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->body, "hello world\n");
    auto h = c.read_response(true);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->header("Content-Length"), std::to_string(text.size()));
    auto d = c.read_response();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->body, "0123456789abcdefghij");
}

// A client that half-closes after its request (`printf ... | nc`) still gets the whole file.
TEST_F(static_files_sendfile, a_client_that_half_closes_gets_the_whole_file) {
    auto text = pattern(8u << 20);
    static_tree::write(tree_.root + "/half.bin", text);
    client c{srv_->port(), std::chrono::seconds(20)};
    c.send("GET /f/half.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    c.shutdown_write();
    auto raw = c.read_until_close();
    auto head_end = raw.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    EXPECT_EQ(raw.size() - head_end - 4, text.size());
    EXPECT_TRUE(raw.compare(head_end + 4, std::string::npos, text) == 0);
}

TEST_F(static_files_sendfile, a_file_that_shrinks_while_sent_with_sendfile_closes_the_connection) {
    truncated_while_sent("/f/big.bin", true);
}

TEST_F(static_files_sendfile, a_file_that_shrinks_while_read_on_the_pool_closes_the_connection) {
    truncated_while_sent("/z/big.bin", false);
}

// sendfile(2) has no MSG_NOSIGNAL: a client that resets its connection mid-file must not
// kill the process with SIGPIPE.
TEST_F(static_files_sendfile, clients_that_reset_mid_file_do_not_kill_the_server) {
    static_tree::write(tree_.root + "/mid.bin", pattern(8u << 20));
    for (int i = 0; i < 40; ++i) {
        int fd = connect_to(srv_->port());
        ASSERT_GE(fd, 0);
        std::string req = "GET /f/mid.bin HTTP/1.1\r\nHost: t\r\n\r\n";
        req += req;
        ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
        char buf[4096];
        ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
        linger lg{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        ::close(fd); // a reset while the server is inside the file
    }
    client c{srv_->port()};
    EXPECT_EQ(c.exchange("GET /f/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").body, "hello world\n");
}

TEST_F(static_files_sendfile, a_fast_1_gib_download_does_not_hold_up_other_clients) {
    constexpr std::uint64_t size = 1ull << 30;
    static_tree::write(tree_.root + "/huge.bin", "");
    ASSERT_EQ(::truncate((tree_.root + "/huge.bin").c_str(), static_cast<off_t>(size)), 0); // sparse
    auto before = sent_with_sendfile();
    std::atomic<std::uint64_t> got{0};
    std::thread reader([&] {
        download(srv_->port(), "GET /f/huge.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", got,
                 1 << 20, std::chrono::microseconds(0));
    });
    ASSERT_TRUE(wait_until([&] { return got > (16u << 20); }, std::chrono::seconds(20)));
    // Measured while the download runs: it must still be under way when the last answer came.
    auto worst = slowest_of(50);
    auto at_end = got.load();
    reader.join();
    RecordProperty("slowest_small_answer_us",
                   std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(worst).count()));
    EXPECT_LT(at_end, size) << "the download ended before the small requests: nothing was measured";
    EXPECT_LT(worst, std::chrono::milliseconds(250)) << "a small request waited behind the download";
    EXPECT_GT(got.load(), size);
    EXPECT_GE(sent_with_sendfile() - before, size);
}

TEST_F(static_files_sendfile, a_slow_1_gib_download_waits_for_its_reader_and_others_go_on) {
    constexpr std::uint64_t size = 1ull << 30;
    static_tree::write(tree_.root + "/huge.bin", "");
    ASSERT_EQ(::truncate((tree_.root + "/huge.bin").c_str(), static_cast<off_t>(size)), 0);
    auto before = sent_with_sendfile();
    std::atomic<std::uint64_t> got{0};
    std::atomic<bool> stop{false};
    std::thread reader([&] {
        // 64 KiB per 2 ms: about 32 MB/s, far below what loopback takes.
        download(srv_->port(), "GET /f/huge.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", got,
                 64 << 10, std::chrono::microseconds(2000), 24u << 20);
        stop = true;
    });
    ASSERT_TRUE(wait_until([&] { return got > (1u << 20); }, std::chrono::seconds(20)));
    auto worst = slowest_of(50);
    auto sent_mid = sent_with_sendfile() - before;
    bool reader_still_going = !stop;
    reader.join();
    EXPECT_TRUE(reader_still_going);
    EXPECT_LT(worst, std::chrono::milliseconds(250));
    // The server sent what the reader took plus what the socket buffers hold, not the file.
    EXPECT_LT(sent_mid, 64u << 20);
    // The reader left: the server closes its side and keeps serving.
    EXPECT_EQ(slowest_of(1) < std::chrono::seconds(1), true);
    EXPECT_TRUE(wait_until([&] { return srv_->connections() == 0; }, std::chrono::seconds(5)));
}
