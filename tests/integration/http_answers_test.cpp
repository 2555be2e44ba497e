// The framework's own answers replaced in one place (JSON), automatic OPTIONS, the finish
// event, locals, sticky fields and raw route parameters, over real sockets.
#include "support/curl.hpp"
#include "support/http_client.hpp"
#include "support/wait_until.hpp"
#include "support/web_server.hpp"

#include <nodus/http/answers.hpp>
#include <nodus/http/body_filter.hpp>
#include <nodus/loop/loop.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

std::string json_of(int status, std::string_view reason) {
    return "{\"error\":\"" + std::string{reason} + "\",\"status\":" + std::to_string(status) + "}";
}

class answers : public ::testing::Test {
protected:
    void SetUp() override {
        nodus::set_answer_builder([](int status, std::string_view reason) {
            return nodus::answer{"application/json", json_of(status, reason)};
        });
    }
    void TearDown() override {
        web_.server.reset();
        nodus::set_answer_builder({});
    }

    std::string get(std::string_view method, std::string_view target, std::string_view extra = {}) {
        return std::string{method} + " " + std::string{target} + " HTTP/1.1\r\nHost: x\r\n" +
            std::string{extra} + "Connection: close\r\n\r\n";
    }

    nodus::test::web_server web_;
};

void expect_json(const nodus::test::parsed_response& r, int status) {
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.body, json_of(status, nodus::reason_phrase(status)));
    EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size()));
}

TEST_F(answers, router_answers_are_json) {
    web_.router.get("/r", [](nodus::request, nodus::response res) { res.end("r"); });
    web_.router.get("/throw",
                    [](nodus::request, nodus::response) -> void { throw std::runtime_error("boom"); });
    auto port = web_.start();
    expect_json(nodus::test::exchange(port, get("GET", "/missing")), 404);
    auto r = nodus::test::exchange(port, get("DELETE", "/r"));
    expect_json(r, 405);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD, OPTIONS");
    expect_json(nodus::test::exchange(port, get("GET", "/throw")), 500);
}

TEST_F(answers, connection_answers_before_any_route_are_json) {
    nodus::http_config cfg;
    cfg.max_header_bytes = 2048;
    cfg.max_body_bytes = 100;
    cfg.max_url_bytes = 200;
    std::atomic<int> reached{0};
    web_.router.use([&](nodus::request, nodus::response, nodus::next_fn next) {
        ++reached;
        next();
    });
    auto port = web_.start(cfg);
    expect_json(nodus::test::exchange(port, "GARBAGE\r\n\r\n"), 400);
    expect_json(nodus::test::exchange(port, get("GET", "/" + std::string(300, 'u'))), 414);
    expect_json(nodus::test::exchange(port, get("GET", "/", "X-Big: " + std::string(4000, 'h') + "\r\n")),
                431);
    expect_json(nodus::test::exchange(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"),
                413);
    expect_json(
        nodus::test::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
        501);
    expect_json(nodus::test::exchange(port, "GET / HTTP/1.7\r\nHost: x\r\n\r\n"), 505);
    EXPECT_EQ(reached, 0);
    // With curl, as a user sees it.
    auto c = nodus::test::curl("-H 'X-Big: " + std::string(4000, 'h') +
                               "' http://127.0.0.1:" + std::to_string(port) + "/");
    EXPECT_EQ(c.out, json_of(431, "Request Header Fields Too Large"));
}

TEST_F(answers, body_errors_and_dropped_responses_are_json_and_keep_sticky_fields) {
    web_.router.use([](nodus::request, nodus::response res, nodus::next_fn next) {
        res.set_sticky("X-Request-Id", "rid-1");
        res.set("X-Not-Sticky", "1");
        next();
    });
    web_.router.get("/drop", [](nodus::request, nodus::response res) { res.set("X-Mine", "1"); });
    web_.router.post("/body", [](nodus::request req, nodus::response res) {
        req.on_data([](std::string_view) {});
        req.on_end([res] { res.end("ok"); });
    });
    auto port = web_.start();
    auto r = nodus::test::exchange(port, get("GET", "/drop"));
    expect_json(r, 500);
    EXPECT_EQ(r.header("X-Request-Id"), "rid-1");
    EXPECT_FALSE(r.has_header("X-Mine"));
    EXPECT_FALSE(r.has_header("X-Not-Sticky"));
    r = nodus::test::exchange(port,
                              "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    expect_json(r, 400);
    EXPECT_EQ(r.header("X-Request-Id"), "rid-1");
}

TEST_F(answers, a_throwing_builder_falls_back_to_text) {
    nodus::set_answer_builder([](int, std::string_view) -> nodus::answer { throw std::runtime_error("x"); });
    auto port = web_.start();
    auto r = nodus::test::exchange(port, get("GET", "/nothing"));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("Content-Type"), "text/plain");
    EXPECT_EQ(r.body, "Not Found\n");
}

TEST_F(answers, options_is_answered_for_every_route_unless_the_app_has_its_own) {
    std::atomic<int> reached{0};
    web_.router.get("/items", [&](nodus::request, nodus::response res) {
        ++reached;
        res.end("[]");
    });
    web_.router.post("/items", [](nodus::request, nodus::response res) { res.end("made"); });
    web_.router.options("/own", [](nodus::request, nodus::response res) { res.status(200).end("mine"); });
    web_.router.get("/own", [](nodus::request, nodus::response res) { res.end("own"); });
    auto port = web_.start();
    auto r = nodus::test::exchange(port, get("OPTIONS", "/items"));
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD, POST, OPTIONS");
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(reached, 0);
    r = nodus::test::exchange(port, get("OPTIONS", "/own"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "mine");
    expect_json(nodus::test::exchange(port, get("OPTIONS", "/nowhere")), 404);
    auto c = nodus::test::curl("-X OPTIONS -o /dev/null -w '%{http_code} %header{allow}' http://127.0.0.1:" +
                               std::to_string(port) + "/items");
    EXPECT_EQ(c.out, "204 GET, HEAD, POST, OPTIONS");
}

struct finish_log {
    std::mutex m;
    std::vector<nodus::finish_info> seen;
    void add(const nodus::finish_info& f) {
        std::lock_guard l{m};
        seen.push_back(f);
    }
    std::size_t size() {
        std::lock_guard l{m};
        return seen.size();
    }
    nodus::finish_info at(std::size_t i) {
        std::lock_guard l{m};
        return seen.at(i);
    }
};

TEST_F(answers, on_finish_sees_every_end_also_late_and_aborted_ones) {
    finish_log log;
    web_.router.use([&](nodus::request, nodus::response res, nodus::next_fn next) {
        res.on_finish([&log](const nodus::finish_info& f) { log.add(f); });
        next();
    });
    web_.router.get("/now", [](nodus::request, nodus::response res) { res.end("12345"); });
    web_.router.get("/later", [](nodus::request, nodus::response res) {
        nodus::set_timeout(std::chrono::milliseconds(30), [res] { res.status(201).end("later!"); });
    });
    web_.router.post("/upload", [](nodus::request req, nodus::response res) {
        req.on_data([](std::string_view) {});
        req.on_end([res] { res.end("never"); });
    });
    auto port = web_.start();
    EXPECT_EQ(nodus::test::exchange(port, get("GET", "/now")).status, 200);
    ASSERT_TRUE(nodus::test::wait_until([&] { return log.size() == 1; }));
    EXPECT_EQ(log.at(0).status, 200);
    EXPECT_EQ(log.at(0).bytes, 5u);
    EXPECT_FALSE(log.at(0).aborted);
    EXPECT_EQ(nodus::test::exchange(port, get("GET", "/later")).status, 201);
    ASSERT_TRUE(nodus::test::wait_until([&] { return log.size() == 2; }));
    EXPECT_EQ(log.at(1).status, 201);
    EXPECT_GE(log.at(1).duration, std::chrono::milliseconds(25));
    {
        nodus::test::client c{port};
        c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npart of it");
        ASSERT_TRUE(c.wait_read_by_server());
        c.close();
    }
    ASSERT_TRUE(nodus::test::wait_until([&] { return log.size() == 3; }));
    EXPECT_EQ(log.at(2).status, 499);
    EXPECT_TRUE(log.at(2).aborted);
    EXPECT_EQ(nodus::test::exchange(port, get("GET", "/missing")).status, 404);
    ASSERT_TRUE(nodus::test::wait_until([&] { return log.size() == 4; }));
    EXPECT_EQ(log.at(3).status, 404);
}

struct user {
    std::string name;
};
struct visits {
    int n = 0;
};

TEST_F(answers, locals_are_per_exchange_and_typed) {
    web_.router.use([](nodus::request req, nodus::response res, nodus::next_fn next) {
        EXPECT_EQ(res.find_local<user>(), nullptr);
        res.local<user>().name = std::string{req.header("X-User")};
        ++res.local<visits>().n;
        next();
    });
    web_.router.get("/me", [](nodus::request, nodus::response res) {
        ++res.local<visits>().n;
        res.end(res.local<user>().name + " " + std::to_string(res.find_local<visits>()->n));
    });
    auto port = web_.start();
    nodus::test::client c{port};
    c.send("GET /me HTTP/1.1\r\nHost: x\r\nX-User: ada\r\n\r\n");
    EXPECT_EQ(c.read_response()->body, "ada 2");
    c.send("GET /me HTTP/1.1\r\nHost: x\r\nX-User: bob\r\n\r\n");
    EXPECT_EQ(c.read_response()->body, "bob 2"); // the pooled exchange starts empty
}

TEST_F(answers, raw_params_keep_escapes) {
    web_.router.get("/files/:name/*", [](nodus::request req, nodus::response res) {
        res.end(std::string{req.param("name")} + "|" + std::string{req.raw_param("name")} + "|" +
                std::string{req.param("*")} + "|" + std::string{req.raw_param("*")});
    });
    auto port = web_.start();
    auto r = nodus::test::exchange(port, get("GET", "/files/a%2Fb/%2e%2e/x%20y"));
    EXPECT_EQ(r.body, "a/b|a%2Fb|../x y|%2e%2e/x%20y");
}

// Reverses each piece and counts the calls: a filter sees every write and the end.
class reverse_filter final : public nodus::body_filter {
public:
    bool filter(const nodus::body_sink& out, std::string_view chunk, bool last) override {
        if (calls_++ == 0) out.response().set("X-Filtered", "yes");
        std::string r{chunk.rbegin(), chunk.rend()};
        return last ? out.end(r + "|" + std::to_string(calls_)) : out.write(r);
    }

private:
    int calls_ = 0;
};

TEST_F(answers, body_filters_see_writes_head_and_end) {
    web_.router.use([](nodus::request req, nodus::response res, nodus::next_fn next) {
        if (req.has_query("filter")) {
            EXPECT_TRUE(res.set_body_filter(std::make_unique<reverse_filter>()));
            EXPECT_FALSE(res.set_body_filter(std::make_unique<reverse_filter>())); // one per response
        }
        next();
    });
    web_.router.get("/whole", [](nodus::request, nodus::response res) { res.end("abc"); });
    web_.router.get("/stream", [](nodus::request, nodus::response res) {
        res.write_head(200);
        EXPECT_FALSE(res.set_body_filter(std::make_unique<reverse_filter>())); // the head is out
        res.write("123");
        res.write("45");
        res.end();
    });
    auto port = web_.start();
    auto r = nodus::test::exchange(port, get("GET", "/whole?filter"));
    EXPECT_EQ(r.body, "cba|1");
    EXPECT_EQ(r.header("X-Filtered"), "yes");
    EXPECT_EQ(r.header("Content-Length"), "5");
    r = nodus::test::exchange(port, get("GET", "/stream?filter"));
    EXPECT_TRUE(r.chunked);
    EXPECT_EQ(r.header("X-Filtered"), "yes"); // set by the write_head call, before the head left
    EXPECT_EQ(r.body, "32154|4");
    r = nodus::test::exchange(port, get("GET", "/stream"));
    EXPECT_EQ(r.body, "12345");
    EXPECT_FALSE(r.has_header("X-Filtered"));
}

} // namespace
