// fs::read_stream piped into a response on a real socket: a client that does not read pauses
// the file (bounded memory), and gets the whole file once it reads; a file that shrinks
// meanwhile cuts the connection short of Content-Length; a client that leaves closes the
// file; a missing file answers 500 by default, or what on_error says.
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include <nodus/fs/fs.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <unistd.h>

namespace fs = nodus::fs;
using nodus::request;
using nodus::response;
using nodus::test::client;
using nodus::test::test_server;
using nodus::test::wait_until;

namespace {

constexpr std::size_t file_size = 32u << 20; // far more than the socket buffers hold

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4093) % 26);
    return s;
}

// The file server of docs/fs.md, with the stream it opened kept for the test to watch.
struct file_server {
    std::string path;
    fs::read_stream stream; // the last one opened; touched on the loop thread only
    std::unique_ptr<test_server> srv;

    explicit file_server(std::string p) : path(std::move(p)) {
        srv = std::make_unique<test_server>([this](request req, response res) {
            auto file = fs::read_stream::open(req.path() == "/big.bin" ? path : path + ".missing");
            file.on_open([res](const fs::file_info& info) {
                res.set("Content-Type", "application/octet-stream");
                res.set("Content-Length", std::to_string(info.size));
            });
            file.pipe(res);
            if (req.path() == "/custom")
                file.on_error([res](const fs::error& e) {
                    res.status(e.code == std::errc::no_such_file_or_directory ? 404 : 500);
                    res.end("no such file\n");
                });
            stream = file;
        });
    }

    template <class T, class Fn>
    T on_loop(Fn fn) {
        T out{};
        srv->on_loop([&] { out = fn(); });
        return out;
    }
    bool paused() {
        return on_loop<bool>([&] { return stream.paused(); });
    }
    bool done() {
        return on_loop<bool>([&] { return stream && stream.done(); });
    }
    std::uint64_t bytes_read() {
        return on_loop<std::uint64_t>([&] { return stream.bytes_read(); });
    }
};

class fs_stream_http : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/nodus-fs-http-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        std::ofstream(dir_ + "/big.bin") << pattern(file_size);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string dir_;
};

} // namespace

TEST_F(fs_stream_http, a_client_that_does_not_read_pauses_the_file_then_gets_all_of_it) {
    file_server s{dir_ + "/big.bin"};
    client c{s.srv->port(), std::chrono::seconds(20)};
    ASSERT_TRUE(c.send_get("/big.bin"));
    ASSERT_TRUE(wait_until([&] { return s.paused(); }));
    auto at_pause = s.bytes_read();
    EXPECT_LT(at_pause, file_size / 2) << "the stream did not wait for the client";
    RecordProperty("bytes_read_at_pause", std::to_string(at_pause));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Content-Length"), std::to_string(file_size));
    EXPECT_TRUE(r->body == pattern(file_size)) << "body of " << r->body.size() << " bytes differs";
    EXPECT_TRUE(wait_until([&] { return s.done(); }));
    EXPECT_EQ(s.bytes_read(), file_size);
}

TEST_F(fs_stream_http, a_file_that_shrinks_while_sent_cuts_the_connection) {
    file_server s{dir_ + "/big.bin"};
    client c{s.srv->port(), std::chrono::seconds(20)};
    ASSERT_TRUE(c.send_get("/big.bin"));
    ASSERT_TRUE(wait_until([&] { return s.paused(); }));
    ASSERT_EQ(::truncate((dir_ + "/big.bin").c_str(), 1 << 20), 0);
    auto raw = c.read_until_close();
    auto head_end = raw.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    EXPECT_EQ(nodus::test::status_of(raw), 200);
    auto body = raw.size() - head_end - 4;
    EXPECT_LT(body, file_size) << "a body as long as Content-Length was sent";
    EXPECT_TRUE(raw.compare(head_end + 4, std::string::npos, pattern(file_size), 0, body) == 0);
    EXPECT_TRUE(wait_until([&] { return s.done(); }));
}

TEST_F(fs_stream_http, a_client_that_leaves_closes_the_file) {
    file_server s{dir_ + "/big.bin"};
    {
        client c{s.srv->port()};
        ASSERT_TRUE(c.send_get("/big.bin"));
        ASSERT_TRUE(wait_until([&] { return s.paused(); }));
    }
    EXPECT_TRUE(wait_until([&] { return s.done(); }));
    EXPECT_LT(s.bytes_read(), file_size);
}

TEST_F(fs_stream_http, a_missing_file_answers_500_or_what_on_error_says) {
    file_server s{dir_ + "/big.bin"};
    client c{s.srv->port()};
    auto r = c.get("/missing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    r = client{s.srv->port()}.get("/custom");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->body, "no such file\n");
}
