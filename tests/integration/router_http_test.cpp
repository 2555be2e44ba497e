// The router over real HTTP: 404/405 answers, HEAD, decoded params, middleware order,
// asynchronous next(), exceptions. Each request is a fresh `Connection: close` exchange, sent
// with the test kit (nodus::testing) as an application's own tests would.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include <nodus/loop/loop.hpp>
#include <nodus/router/router.hpp>
#include <nodus/testing/server.hpp>

namespace {

using reply = nodus::testing::response;

// One request on a connection of its own, with the test kit's client; status 0 when no
// complete response came (the server cut the connection).
reply fetch(std::uint16_t port, std::string_view method, std::string_view target) {
    nodus::testing::client c{port};
    try {
        return c.method(method, target).set("Connection", "close").send();
    } catch (const std::runtime_error&) {
        return {};
    }
}

class router_http : public ::testing::Test {
protected:
    // The router must outlive the server.
    nodus::router router_;
    std::mutex mutex_;
    std::string trace_;

    void note(std::string_view s) {
        std::lock_guard lock{mutex_};
        trace_ += s;
    }
    std::string trace() {
        std::lock_guard lock{mutex_};
        return std::exchange(trace_, {});
    }

    reply fetch(std::string_view method, std::string_view target) {
        if (!server_) server_.emplace(router_);
        return ::fetch(server_->port(), method, target);
    }

private:
    std::optional<nodus::testing::server> server_;
};

TEST_F(router_http, not_found_default) {
    router_.get("/a", [](nodus::request, nodus::response res) { res.end("a"); });
    auto const r = fetch("GET", "/b");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("Content-Type"), "text/plain");
    EXPECT_EQ(r.body, "Not Found\n");
}

TEST_F(router_http, not_found_custom) {
    router_.on_not_found([](nodus::request req, nodus::response res) {
        res.status(404);
        res.end("no " + std::string{req.path()});
    });
    EXPECT_EQ(fetch("GET", "/x/y?z").body, "no /x/y");
}

TEST_F(router_http, method_not_allowed) {
    router_.get("/r", [](nodus::request, nodus::response res) { res.end("get"); });
    router_.post("/r", [](nodus::request, nodus::response res) { res.end("post"); });
    auto const r = fetch("DELETE", "/r");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD, POST, OPTIONS");
    EXPECT_EQ(r.body, "Method Not Allowed\n");
    EXPECT_EQ(fetch("POST", "/r/").body, "post");
}

TEST_F(router_http, head_uses_get_handler_without_body) {
    router_.get("/h", [](nodus::request, nodus::response res) { res.end("hello"); });
    auto const r = fetch("HEAD", "/h");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Length"), "5");
    EXPECT_EQ(r.body, "");
}

TEST_F(router_http, params_are_decoded) {
    router_.get("/users/:id/files/*", [](nodus::request req, nodus::response res) {
        res.end(std::string{req.param("id")} + "|" + std::string{req.param("*")} + "|" +
                (req.has_query("q") ? std::string{req.query("q")} : std::string{"-"}));
    });
    EXPECT_EQ(fetch("GET", "/users/a%20b/files/x/y%2Fz?q=1+2").body, "a b|x/y/z|1 2");
    EXPECT_EQ(fetch("GET", "/users/plain/files").body, "plain||-");
}

TEST_F(router_http, middleware_order_and_prefixes) {
    router_.use([this](nodus::request, nodus::response, nodus::next_fn next) {
        note("1");
        next();
    });
    router_.use("/api", [this](nodus::request, nodus::response, nodus::next_fn next) {
        note("2");
        next();
    });
    router_.use("/admin", [this](nodus::request, nodus::response res, nodus::next_fn) {
        note("x");
        res.status(403);
        res.end("forbidden");
    });
    router_.get("/api/v", [this](nodus::request, nodus::response res) {
        note("h");
        res.end("v");
    });
    router_.get("/apiv", [this](nodus::request, nodus::response res) {
        note("h");
        res.end("apiv");
    });
    router_.get("/admin/panel", [this](nodus::request, nodus::response res) {
        note("never");
        res.end();
    });

    EXPECT_EQ(fetch("GET", "/api/v").body, "v");
    EXPECT_EQ(trace(), "12h");
    EXPECT_EQ(fetch("GET", "/apiv").body, "apiv");
    EXPECT_EQ(trace(), "1h");
    auto const r = fetch("GET", "/admin/panel");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(trace(), "1x");
    EXPECT_EQ(fetch("GET", "/api/missing").status, 404);
    EXPECT_EQ(trace(), "12");
}

TEST_F(router_http, asynchronous_next) {
    router_.use([this](nodus::request, nodus::response, nodus::next_fn next) {
        note("m");
        nodus::set_timeout(std::chrono::milliseconds{20}, [next] { next(); });
    });
    router_.get("/later", [this](nodus::request, nodus::response res) {
        note("h");
        res.end("later");
    });
    router_.get("/boom", [](nodus::request, nodus::response) {
        throw std::runtime_error("thrown after an async next");
    });
    EXPECT_EQ(fetch("GET", "/later").body, "later");
    EXPECT_EQ(trace(), "mh");
    EXPECT_EQ(fetch("GET", "/boom").status, 500);
}

TEST_F(router_http, exception_becomes_500) {
    router_.get("/throw",
                [](nodus::request, nodus::response) { throw std::runtime_error("handler failed"); });
    router_.use("/mw", [](nodus::request, nodus::response, nodus::next_fn) {
        throw std::logic_error("middleware failed");
    });
    auto r = fetch("GET", "/throw");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body, "Internal Server Error\n");
    r = fetch("GET", "/mw/x");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(fetch("GET", "/missing").status, 404) << "the server keeps serving";
}

TEST_F(router_http, exception_after_headers_aborts) {
    router_.get("/partial", [](nodus::request, nodus::response res) {
        res.write("partial");
        throw std::runtime_error("too late for a 500");
    });
    auto const r = fetch("GET", "/partial");
    EXPECT_EQ(r.status, 0) << "the connection is closed before the response completes";
    EXPECT_EQ(fetch("GET", "/missing").status, 404) << "the server keeps serving";
}

TEST_F(router_http, on_error_handler) {
    router_.on_error([](nodus::request, nodus::response res, std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            res.status(503);
            res.end(ex.what());
        }
    });
    router_.get("/t", [](nodus::request, nodus::response) { throw std::runtime_error("busy"); });
    auto const r = fetch("GET", "/t");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body, "busy");
}

} // namespace
