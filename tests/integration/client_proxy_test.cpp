// A nodus route that forwards its exchange through nodus::client and pipes both bodies
// without buffering them: the reverse proxy the client's streaming API is shaped for.
#include "support/upstream.hpp"

#include <nodus/client/client.hpp>
#include <nodus/router/router.hpp>
#include <nodus/testing/connection.hpp>
#include <nodus/testing/server.hpp>

#include <gtest/gtest.h>

#include <memory>

namespace client = nodus::client;
using nodus::test::upstream;

namespace {

// Host names the proxy; the client sends the upstream's.
bool is_host(std::string_view n) {
    std::string lower(n);
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return lower == "host";
}

// The proxy's handler: method, target, fields and the request body go up; status, fields and
// the response body come back, each side paused while the other cannot take more.
void forward(nodus::request req, nodus::response res, std::uint16_t port) {
    client::options o;
    o.host = "127.0.0.1";
    o.port = port;
    o.target = std::string(req.target());
    o.method = std::string(req.method());
    for (const auto& f : req.headers())
        if (!is_host(f.name)) o.headers.emplace_back(f.name, f.value);
    auto up = client::open(o, res.guard([res](client::response r) {
        res.status(r.status());
        for (const auto& f : r.headers())
            if (f.name != "Content-Length" && f.name != "Transfer-Encoding") res.append(f.name, f.value);
        r.on_data([res, r](std::string_view c) {
            if (!res.write(c)) {
                r.pause();
                res.on_drain([r] { r.resume(); });
            }
        });
        r.on_end([res] { res.end(); });
    }));
    up.on_error(res.guard([res](const client::error& e) {
        if (!res.headers_sent()) res.status(502).end(e.message());
        else res.fail(std::make_exception_ptr(std::runtime_error(e.message())));
    }));
    req.on_data([up, req](std::string_view c) {
        if (!up.write(c)) {
            req.pause();
            up.on_drain([req] { req.resume(); });
        }
    });
    req.on_end([up] { up.end(); });
    res.on_close([up] { up.abort(); });
}

void trickle(const std::shared_ptr<upstream::conn>& c) {
    if (c->closed) return;
    c->send(std::string(1024, 't'));
    nodus::set_timeout(std::chrono::milliseconds(5), [c] { trickle(c); });
}

} // namespace

TEST(client_proxy, streams_a_request_and_its_response_through) {
    std::unique_ptr<upstream> up;
    nodus::router routes;
    std::uint16_t up_port = 0;
    routes.all("/*", [&up_port](nodus::request req, nodus::response res) { forward(req, res, up_port); });
    nodus::testing::server srv{routes};
    srv.on_loop([&] {
        up = std::make_unique<upstream>();
        up_port = up->port();
        up->on_request = [](const upstream::exchange& x) {
            const std::string body = x.method() + " " + x.target() + " " + std::to_string(x.body.size()) +
                (x.has("X-Test: yes") ? " x" : "");
            x.send("HTTP/1.1 201 Created\r\nX-Up: 1\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\n\r\n" + body);
        };
    });
    auto c = srv.client();
    const std::string big(800 * 1024, 'b'); // under the server's 1 MiB body limit
    auto posted = c.post("/a/b?c=d").set("X-Test", "yes").send(big);
    EXPECT_EQ(posted.status, 201);
    EXPECT_EQ(posted.header("X-Up"), "1");
    EXPECT_EQ(posted.body, "POST /a/b?c=d " + std::to_string(big.size()) + " x");
    auto streamed = c.put("/s").send_chunks({"one", "two", "three"});
    EXPECT_EQ(streamed.body, "PUT /s 11");
    auto got = c.get("/g").send();
    EXPECT_EQ(got.body, "GET /g 0");
    int conns = 0;
    srv.on_loop([&] { conns = up->connections; });
    EXPECT_EQ(conns, 1) << "the proxy's requests shared one pooled upstream connection";
    srv.on_loop([&] { up.reset(); });
}

TEST(client_proxy, a_client_that_goes_away_cancels_the_upstream_request) {
    std::unique_ptr<upstream> up;
    nodus::router routes;
    std::uint16_t up_port = 0;
    routes.all("/*", [&up_port](nodus::request req, nodus::response res) { forward(req, res, up_port); });
    nodus::testing::server srv{routes};
    int closed = 0, requests = 0;
    srv.on_loop([&] {
        up = std::make_unique<upstream>();
        up_port = up->port();
        // A long body trickling out: the proxy writes on, and so learns the client left.
        up->on_request = [](const upstream::exchange& x) {
            x.send("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\nstart");
            trickle(x.c);
        };
    });
    {
        nodus::testing::connection conn{srv.port()};
        ASSERT_TRUE(conn.send_get("/slow"));
        const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (requests == 0 && std::chrono::steady_clock::now() < limit)
            srv.on_loop([&] { requests = up->requests; });
        ASSERT_EQ(requests, 1);
    }
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (closed == 0 && std::chrono::steady_clock::now() < limit) {
        srv.on_loop([&] { closed = up->peer_closed; });
        std::this_thread::yield();
    }
    EXPECT_EQ(closed, 1) << "the upstream connection was closed when the client went away";
    srv.on_loop([&] { up.reset(); });
}
