// What the server refuses or loses is in the access log like any response: requests refused
// before a handler ran (400, 431, 408...) and exchanges that ended without a response (499).
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include <nodus/log/log.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace std::chrono_literals;
using nodus::test::client;
using nodus::test::test_server;
using nodus::test::wait_until;

namespace {

class http_access_log : public ::testing::Test {
protected:
    void SetUp() override {
        path_ =
            std::filesystem::temp_directory_path() / ("nodus_access_" + std::to_string(::getpid()) + ".log");
        nodus::log_config cfg;
        cfg.level = "warn";
        cfg.destination = path_.string();
        nodus::log::init(cfg);
    }
    void TearDown() override {
        nodus::log::shutdown();
        std::filesystem::remove(path_);
    }

    std::string text() const {
        std::ifstream f{path_};
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    }
    /// Wait for an access line containing `part`.
    bool logged(const std::string& part) const {
        return wait_until(
            [&] {
                return text().find("[access] [pid " + std::to_string(::getpid()) + "] " + part) !=
                    std::string::npos;
            },
            3000ms);
    }

    std::filesystem::path path_;
};

void slow_handler(nodus::request req, nodus::response res) {
    if (req.path() == "/upload") {
        req.on_data([res](std::string_view) {}); // reads, never answers
        return;
    }
    res.end("ok\n");
}

} // namespace

TEST_F(http_access_log, a_request_refused_with_400_is_logged) {
    test_server srv{slow_handler};
    auto raw = nodus::test::roundtrip(srv.port(), "GET /no-host HTTP/1.1\r\n\r\n");
    ASSERT_EQ(nodus::test::status_of(raw), 400);
    EXPECT_TRUE(logged("127.0.0.1 \"GET /no-host\" 400 12 ")) << text();
}

TEST_F(http_access_log, a_head_over_the_limit_is_logged_431) {
    nodus::http_config cfg;
    cfg.max_header_bytes = 512;
    test_server srv{slow_handler, cfg};
    auto raw = nodus::test::roundtrip(
        srv.port(), "GET /big HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
    ASSERT_EQ(nodus::test::status_of(raw), 431);
    EXPECT_TRUE(logged("127.0.0.1 \"GET /big\" 431 ")) << text();
}

TEST_F(http_access_log, a_head_that_times_out_is_logged_408) {
    nodus::http_config cfg;
    cfg.header_timeout_ms = 200;
    test_server srv{slow_handler, cfg};
    auto raw = nodus::test::roundtrip(srv.port(), "GET /slowloris HTTP/1.1\r\nHost: x\r\nX-A: ");
    ASSERT_EQ(nodus::test::status_of(raw), 408);
    EXPECT_TRUE(logged("127.0.0.1 \"GET /slowloris\" 408 ")) << text();
}

TEST_F(http_access_log, a_client_that_went_away_is_logged_499) {
    test_server srv{slow_handler};
    {
        client c{srv.port()};
        c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
        ASSERT_TRUE(c.wait_read_by_server());
    } // gone with 90 bytes of the body missing
    EXPECT_TRUE(logged("127.0.0.1 \"POST /upload\" 499 0 ")) << text();
    EXPECT_TRUE(wait_until([&] { return srv.connections() == 0; }));
}

TEST_F(http_access_log, a_served_request_is_logged_once) {
    test_server srv{slow_handler};
    EXPECT_EQ(nodus::test::exchange(srv.port(), "GET /fine HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
    EXPECT_TRUE(logged("127.0.0.1 \"GET /fine\" 200 3 ")) << text();
    EXPECT_EQ(text().find("\"GET /fine\""), text().rfind("\"GET /fine\""));
}
