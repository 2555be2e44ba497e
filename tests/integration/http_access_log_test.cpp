// What the server refuses or loses is in the access log like any response: requests refused
// before a handler ran (400, 431, 408...) and exchanges that ended without a response (499).
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include <nodus/log/log.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
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

namespace {

// Each format from a real exchange: the request's Referer and User-Agent, the response's
// X-Request-Id.
class http_access_formats : public ::testing::Test {
protected:
    void TearDown() override {
        nodus::log::shutdown();
        std::filesystem::remove(path_);
    }
    void start(const char* format) {
        nodus::log_config cfg;
        cfg.level = "warn";
        cfg.destination = "stderr";
        cfg.access_destination = path_.string();
        cfg.access_format = format;
        nodus::log::init(cfg);
    }
    std::string wait_line(const std::string& part) const {
        std::string found;
        wait_until(
            [&] {
                std::ifstream f{path_};
                for (std::string l; std::getline(f, l);)
                    if (l.find(part) != std::string::npos) found = l;
                return !found.empty();
            },
            3000ms);
        return found;
    }
    std::filesystem::path path_ =
        std::filesystem::temp_directory_path() / ("nodus_formats_" + std::to_string(::getpid()) + ".log");
};

void with_request_id(nodus::request, nodus::response res) {
    res.set("X-Request-Id", "rid-\"7\"");
    res.end("ok\n");
}

constexpr const char* request_with_headers =
    "GET /page?x=1 HTTP/1.1\r\nHost: x\r\nReferer: http://example.com/\r\nUser-Agent: curl/8.0\r\n\r\n";

} // namespace

TEST_F(http_access_formats, combined_is_nginx_combined_with_the_request_id_after_it) {
    start("combined");
    test_server srv{with_request_id};
    EXPECT_EQ(nodus::test::exchange(srv.port(), request_with_headers).status, 200);
    const auto line = wait_line("/page");
    EXPECT_TRUE(std::regex_match(line,
                                 std::regex(R"(127\.0\.0\.1 - - \[[^\]]+\] "GET /page\?x=1 HTTP/1\.1" 200 3 )"
                                            R"("http://example\.com/" "curl/8\.0" "rid-\\x227\\x22")")))
        << line;
}

TEST_F(http_access_formats, json_lines_carry_every_field_and_the_request_id) {
    start("json");
    test_server srv{with_request_id};
    EXPECT_EQ(nodus::test::exchange(srv.port(), request_with_headers).status, 200);
    const auto line = wait_line("/page");
    for (const char* part :
         {R"("remote":"127.0.0.1")", R"("method":"GET")", R"("target":"/page?x=1")",
          R"("protocol":"HTTP/1.1")", R"("status":200)", R"("bytes":3)", R"("referer":"http://example.com/")",
          R"("user_agent":"curl/8.0")", R"("request_id":"rid-\"7\"")"})
        EXPECT_NE(line.find(part), std::string::npos) << part << " in " << line;
    EXPECT_EQ(line.front(), '{');
    EXPECT_EQ(line.back(), '}');
}

TEST_F(http_access_formats, default_lines_carry_the_request_id) {
    start("default");
    test_server srv{with_request_id};
    EXPECT_EQ(nodus::test::exchange(srv.port(), request_with_headers).status, 200);
    EXPECT_NE(wait_line("/page").find(R"("GET /page?x=1" 200 3 )"), std::string::npos);
    EXPECT_NE(wait_line("/page").find(R"(ms "rid-\x227\x22")"), std::string::npos) << wait_line("/page");
}

// A destination that refuses every line (a full disk): the server answers as before and the
// lost lines are counted.
TEST(http_access_drops, a_full_disk_does_not_stop_the_server_and_lines_are_counted) {
    nodus::log_config cfg;
    cfg.level = "off";
    cfg.access_destination = "/dev/full";
    nodus::log::init(cfg);
    const auto before = nodus::log::access_lines_dropped();
    {
        test_server srv{slow_handler};
        client c{srv.port()};
        for (int i = 0; i < 200; ++i)
            ASSERT_EQ(c.exchange("GET /full HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
        EXPECT_TRUE(wait_until([&] { return nodus::log::access_lines_dropped() >= before + 200; }));
    }
    nodus::log::shutdown();
}

// A destination that blocks (a pipe nobody reads): the writer is stuck, the server is not;
// lines past the bound are dropped and counted.
TEST(http_access_drops, a_blocked_destination_does_not_stop_the_server_and_lines_are_counted) {
    const auto fifo = std::filesystem::temp_directory_path() / ("nodus_fifo_" + std::to_string(::getpid()));
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK); // open, never read
    ASSERT_GE(reader, 0);
    nodus::log_config cfg;
    cfg.level = "off";
    cfg.access_destination = fifo.string();
    nodus::log::init(cfg);
    nodus::log::set_shutdown_wait(200ms);
    const auto before = nodus::log::access_lines_dropped();
    {
        test_server srv{slow_handler};
        client c{srv.port()};
        // ~1 KiB lines: the pipe holds 64 KiB and the writer's two buffers 512 KiB each, so
        // about 1,000 lines fit however the writer's wake-ups fall; the other 2,000 cannot.
        const std::string request = "GET /" + std::string(1000, 'p') + " HTTP/1.1\r\nHost: x\r\n\r\n";
        for (int i = 0; i < 3000; ++i) ASSERT_EQ(c.exchange(request).status, 200) << "request " << i;
        EXPECT_GT(nodus::log::access_lines_dropped(), before + 1500);
    }
    nodus::log::shutdown();
    nodus::log::set_shutdown_wait(std::chrono::milliseconds(10000));
    ::close(reader);
    std::filesystem::remove(fifo);
}
