// A body paused when a full read block still holds bytes after the pause point, and resumed
// from on_drain (as a pipe does): the bytes kept, and those of the read started on resume,
// must reach the application in order. A rewound block under a read in flight once shifted
// every later byte (chunked bodies failed as malformed, Content-Length bodies were corrupted).
#include "support/http_client.hpp"
#include "support/test_server.hpp"

#include <nodus/router/router.hpp>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using nodus::request;
using nodus::response;
using nodus::test::client;
using nodus::test::test_server;

// The body straight back, paused while the response is over the high-water mark.
void echo(request req, response res) {
    req.on_data([req, res](std::string_view chunk) {
        if (!res.write(chunk)) {
            req.pause();
            res.on_drain([req] { req.resume(); });
        }
    });
    req.on_end([res] { res.end(); });
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

// No body limit (20 pieces are over the default 1 MiB), and a small high-water mark, so that
// write() returns false while the socket still takes the bytes at once: the drain, and the
// resume, then come from the connection's own flush, with unread bytes still in its block.
nodus::http_config config() {
    nodus::http_config cfg;
    cfg.max_body_bytes = 0;
    cfg.high_water_mark = 1024;
    return cfg;
}

class body_resume : public ::testing::TestWithParam<std::size_t> {
protected:
    nodus::router router_;
};

// Chunks of nearly 64 KiB: each pause falls a few bytes before the end of a full body block.
TEST_P(body_resume, chunked_body_arrives_whole_and_in_order) {
    router_.post("/echo", echo);
    test_server srv{router_, config()};
    const auto piece = pattern(GetParam());
    std::string body;
    std::string wire =
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    char size_line[32];
    for (int i = 0; i < 20; ++i) {
        wire += std::string(
            size_line,
            static_cast<std::size_t>(std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size())));
        wire += piece;
        wire += "\r\n";
        body += piece;
    }
    wire += "0\r\n\r\n";
    client cl{srv.port(), 20s};
    std::thread sender([&] { cl.send(wire); });
    auto r = cl.read_response();
    sender.join();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), body.size());
    EXPECT_TRUE(r->body == body) << "the echoed body differs from the one sent";
}

TEST_P(body_resume, content_length_body_arrives_whole_and_in_order) {
    router_.post("/echo", echo);
    test_server srv{router_, config()};
    const auto body = pattern(GetParam() * 20);
    std::string wire = "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    client cl{srv.port(), 20s};
    std::thread sender([&] { cl.send(wire); });
    auto r = cl.read_response();
    sender.join();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), body.size());
    EXPECT_TRUE(r->body == body) << "the echoed body differs from the one sent";
}

INSTANTIATE_TEST_SUITE_P(near_a_block, body_resume,
                         ::testing::Values(65518, 65522, 65524, 65526, 60000, 100000));

} // namespace
