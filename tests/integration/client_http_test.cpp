// nodus::client over plain HTTP against scripted upstreams on 127.0.0.1: requests and
// responses, pooling and reuse, the queue, idle expiry, the stale-connection retry,
// backpressure both ways, the helpers.
#include "support/client_fetch.hpp"
#include "support/upstream.hpp"

#include <nodus/client/client.hpp>
#include <nodus/client/json.hpp>

#include <gtest/gtest.h>

#include <boost/json.hpp>

using namespace std::chrono_literals;
using nodus::test::fetch;
using nodus::test::ok;
using nodus::test::outcome;
using nodus::test::run_until;
using nodus::test::upstream;
using nodus::test::with;
namespace client = nodus::client;

TEST(client_http, get_sends_host_and_reads_status_headers_body) {
    upstream up;
    std::string seen;
    up.on_request = [&](const upstream::exchange& x) {
        seen = x.head;
        x.send(ok("hello", "X-Thing: a b \r\n"));
    };
    client::agent a;
    std::string thing;
    outcome out;
    auto req = client::open(with(a, up.url("/p?q=1")), [&](client::response r) {
        out.status = r.status();
        thing = std::string(r.header("x-thing"));
        EXPECT_EQ(r.content_length(), 5u);
        EXPECT_EQ(r.reason(), "OK");
        r.on_data([&](std::string_view c) { out.body.append(c); });
        r.on_end([&] { out.done = true; });
    });
    req.end();
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(out.body, "hello");
    EXPECT_EQ(thing, "a b");
    EXPECT_EQ(seen.rfind("GET /p?q=1 HTTP/1.1\r\n", 0), 0u) << seen;
    EXPECT_NE(seen.find("Host: 127.0.0.1:" + std::to_string(up.port()) + "\r\n"), std::string::npos) << seen;
    EXPECT_EQ(seen.find("Content-Length"), std::string::npos) << "a GET ended without a body declares none";
}

TEST(client_http, sequential_requests_reuse_one_connection) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) { x.send(ok("r" + std::to_string(x.index))); };
    client::agent a;
    std::vector<std::string> bodies;
    std::function<void()> next = [&] {
        outcome* out = new outcome;
        auto req = client::open(with(a, up.url()), [&, out](client::response r) {
            r.on_data([out](std::string_view c) { out->body.append(c); });
            r.on_end([&, out] {
                bodies.push_back(out->body);
                delete out;
                if (bodies.size() < 5) next();
            });
        });
        req.end();
    };
    next();
    ASSERT_TRUE(run_until([&] { return bodies.size() == 5; }));
    EXPECT_EQ(up.connections, 1);
    EXPECT_EQ(bodies, (std::vector<std::string>{"r0", "r1", "r2", "r3", "r4"}));
    auto s = a.stats();
    EXPECT_EQ(s.connections_opened, 1u);
    EXPECT_EQ(s.reused, 4u);
    EXPECT_EQ(s.idle, 1u);
}

TEST(client_http, max_sockets_queues_the_rest) {
    upstream up;
    std::vector<upstream::exchange> held;
    up.on_request = [&](const upstream::exchange& x) { held.push_back(x); };
    client::agent a({.max_sockets = 2});
    std::vector<outcome> outs(6);
    for (auto& o : outs) fetch(with(a, up.url()), o);
    ASSERT_TRUE(run_until([&] { return held.size() == 2; }));
    EXPECT_EQ(a.stats().queued, 4u);
    EXPECT_EQ(a.stats().active, 2u);
    // Answer as they come: each answer frees a connection for the next queued request.
    ASSERT_TRUE(run_until([&] {
        for (auto& x : held) x.send(ok("x"));
        held.clear();
        for (auto& o : outs)
            if (!o.done) return false;
        return true;
    }));
    for (auto& o : outs) EXPECT_EQ(o.body, "x");
    EXPECT_EQ(up.connections, 2);
    EXPECT_EQ(up.requests, 6);
}

TEST(client_http, idle_timeout_closes_pooled_connections) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) { x.send(ok("x")); };
    client::agent a({.idle_timeout = 100ms});
    outcome first;
    fetch(with(a, up.url()), first);
    ASSERT_TRUE(run_until([&] { return first.done; }));
    EXPECT_EQ(a.stats().idle, 1u);
    ASSERT_TRUE(run_until([&] { return up.peer_closed == 1; })) << "the client closes the idle connection";
    EXPECT_EQ(a.stats().idle, 0u);
    outcome second;
    fetch(with(a, up.url()), second);
    ASSERT_TRUE(run_until([&] { return second.done; }));
    EXPECT_EQ(second.body, "x");
    EXPECT_EQ(up.connections, 2);
}

TEST(client_http, idle_pooled_connection_does_not_hold_the_loop) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) { x.send(ok("x")); };
    client::agent a;
    outcome out;
    fetch(with(a, up.url()), out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    up.stop();
    EXPECT_EQ(a.stats().idle, 1u);
    auto& io = nodus::io_context();
    io.restart();
    const auto t0 = std::chrono::steady_clock::now();
    io.run_for(3s);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "run() ends with only pooled connections left";
    a.close_idle();
    run_until([] { return false; }, 20ms);
}

TEST(client_http, server_closing_an_idle_connection_is_seen_before_reuse) {
    upstream up;
    std::shared_ptr<upstream::conn> first_conn;
    up.on_request = [&](const upstream::exchange& x) {
        x.send(ok("x"));
        if (x.index == 0) first_conn = x.c;
    };
    client::agent a;
    outcome first, second;
    fetch(with(a, up.url()), first);
    ASSERT_TRUE(run_until([&] { return first.done; }));
    first_conn->close();
    // The pooled connection's pending read sees the FIN and the pool drops it.
    ASSERT_TRUE(run_until([&] { return a.stats().idle == 0; }));
    fetch(with(a, up.url()), second);
    ASSERT_TRUE(run_until([&] { return second.done; }));
    EXPECT_EQ(second.body, "x");
    EXPECT_EQ(up.connections, 2);
    EXPECT_EQ(a.stats().retried, 0u) << "found closed when taken: no request was lost";
}

TEST(client_http, stale_connection_failing_before_a_response_is_retried_once_for_get) {
    upstream up;
    // The second request on a connection meets a server that closes without answering,
    // as one that timed the connection out an instant before the request arrived.
    up.on_request = [](const upstream::exchange& x) {
        if (x.index == 1) return x.close();
        x.send(ok("fresh"));
    };
    client::agent a;
    outcome first, second;
    fetch(with(a, up.url()), first);
    ASSERT_TRUE(run_until([&] { return first.done; }));
    fetch(with(a, up.url()), second);
    ASSERT_TRUE(run_until([&] { return second.done; }));
    EXPECT_FALSE(second.err) << second.err.message();
    EXPECT_EQ(second.body, "fresh");
    EXPECT_EQ(up.connections, 2);
    EXPECT_EQ(a.stats().retried, 1u);

    // A POST is not replayed: the error reaches the application.
    outcome third;
    auto o = with(a, up.url());
    o.method = "POST";
    fetch(o, third, "data");
    ASSERT_TRUE(run_until([&] { return third.done; }));
    EXPECT_EQ(third.err.code, client::errc::closed) << third.err.message();
}

TEST(client_http, streamed_upload_respects_the_high_water_mark) {
    upstream up;
    std::size_t received = 0;
    std::shared_ptr<upstream::conn> server_side;
    up.on_accept = [&](const std::shared_ptr<upstream::conn>& c) { server_side = c; };
    client::agent a;
    auto o = with(a, up.url("/up"));
    o.method = "PUT";
    o.high_water_mark = 32 * 1024;
    const std::size_t chunk = 8 * 1024, total = 32 * 1024 * 1024;
    std::size_t given = 0, max_buffered = 0;
    int drains = 0;
    outcome out;
    auto req = client::open(o, [&](client::response r) {
        out.status = r.status();
        r.on_end([&] { out.done = true; });
    });
    req.on_error([&](const client::error& e) {
        out.err = e;
        out.done = true;
    });
    const std::string piece(chunk, 'u');
    std::function<void()> pump = [&] {
        while (given < total) {
            given += chunk;
            const bool more = req.write(piece);
            max_buffered = std::max(max_buffered, req.buffered());
            if (!more) {
                ++drains;
                return req.on_drain(pump);
            }
        }
        req.end();
    };
    pump();
    ASSERT_TRUE(run_until([&] { return server_side != nullptr; }));
    // The server reads slowly: 64 KiB each 2 ms, until the whole chunked body is in.
    std::function<void()> slow_read = [&] {
        auto buf = std::make_shared<std::array<char, 65536>>();
        server_side->sock.async_read_some(boost::asio::buffer(*buf), [&, buf](auto ec, std::size_t n) {
            if (ec) return;
            received += n;
            server_side->in.append(buf->data(), std::min<std::size_t>(n, 16));
            if (std::string_view(buf->data(), n).ends_with("0\r\n\r\n"))
                return server_side->send("HTTP/1.1 204 No Content\r\n\r\n");
            nodus::set_timeout(2ms, slow_read);
        });
    };
    slow_read();
    ASSERT_TRUE(run_until([&] { return out.done; }, 60s));
    EXPECT_FALSE(out.err) << out.err.message();
    EXPECT_EQ(out.status, 204);
    EXPECT_GT(drains, 0) << "write() said stop at least once";
    EXPECT_LE(max_buffered, o.high_water_mark + chunk + 16)
        << "never more than the mark (plus one chunk's framing)";
    EXPECT_GE(received, total);
}

TEST(client_http, paused_response_delivers_nothing_until_resumed) {
    upstream up;
    const std::string big(4 * 1024 * 1024, 'd');
    up.on_request = [&](const upstream::exchange& x) { x.send(ok(big)); };
    client::agent a;
    std::size_t got = 0, during_pause = 0;
    bool paused = false, resumed_once = false;
    outcome out;
    auto req = client::open(with(a, up.url()), [&](client::response r) {
        r.on_data([&, r](std::string_view c) {
            if (paused) ++during_pause;
            got += c.size();
            if (!resumed_once && got > 100000) {
                resumed_once = true;
                paused = true;
                r.pause();
                nodus::set_timeout(150ms, [&, r] {
                    paused = false;
                    r.resume();
                });
            }
        });
        r.on_end([&] { out.done = true; });
    });
    req.end();
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(during_pause, 0u);
    EXPECT_EQ(got, big.size());
    EXPECT_TRUE(resumed_once);
}

TEST(client_http, chunked_response_with_trailers) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        x.send(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: "
            "5\r\n\r\n");
    };
    client::agent a;
    outcome out;
    std::string trailer;
    auto req = client::open(with(a, up.url()), [&](client::response r) {
        r.on_data([&](std::string_view c) { out.body.append(c); });
        r.on_end([&, r] {
            trailer = std::string(r.trailer("x-sum"));
            out.done = true;
        });
    });
    req.end();
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.body, "abcde");
    EXPECT_EQ(trailer, "5");
    outcome again;
    fetch(with(a, up.url()), again);
    ASSERT_TRUE(run_until([&] { return again.done; }));
    EXPECT_EQ(up.connections, 1) << "a chunked response read to its end leaves the connection reusable";
}

TEST(client_http, head_and_304_have_no_body) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        if (x.method() == "HEAD") x.send("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        else x.send("HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n");
    };
    client::agent a;
    outcome head, not_modified;
    auto o = with(a, up.url());
    o.method = "HEAD";
    fetch(o, head);
    ASSERT_TRUE(run_until([&] { return head.done; }));
    fetch(with(a, up.url()), not_modified);
    ASSERT_TRUE(run_until([&] { return not_modified.done; }));
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_EQ(up.connections, 1);
}

TEST(client_http, body_until_close_without_length) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        x.send("HTTP/1.1 200 OK\r\n\r\nuntil the end");
        nodus::set_timeout(10ms, [c = x.c] { c->close(); });
    };
    client::agent a;
    outcome out;
    fetch(with(a, up.url()), out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_FALSE(out.err) << out.err.message();
    EXPECT_EQ(out.body, "until the end");
    EXPECT_EQ(a.stats().idle, 0u);
}

TEST(client_http, get_post_and_json_helpers) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        if (x.method() == "POST")
            return x.send(ok("{\"echo\":" + x.body + "}", "Content-Type: application/json\r\n"));
        x.send(ok("plain text"));
    };
    client::agent a;
    bool got = false, posted = false, too_big = false;
    client::get(with(a, up.url()), [&](const client::error& e, client::result r) {
        EXPECT_FALSE(e) << e.message();
        EXPECT_EQ(r.body, "plain text");
        EXPECT_EQ(r.header("content-length"), "10");
        got = true;
    });
    client::post_json(with(a, up.url()), boost::json::value{{"n", 1}},
                      [&](const client::error& e, int status, boost::json::value v) {
                          EXPECT_FALSE(e) << e.message();
                          EXPECT_EQ(status, 200);
                          EXPECT_EQ(v.at("echo").at("n").as_int64(), 1);
                          posted = true;
                      });
    client::get(
        with(a, up.url()),
        [&](const client::error& e, client::result) {
            EXPECT_EQ(e.code, client::errc::body_too_large);
            too_big = true;
        },
        4);
    ASSERT_TRUE(run_until([&] { return got && posted && too_big; }));
}

TEST(client_http, exception_in_a_callback_does_not_escape_the_loop) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) { x.send(ok("x")); };
    client::agent a;
    bool called = false, error_called = false;
    auto req = client::open(with(a, up.url()), [&](client::response) {
        called = true;
        throw std::runtime_error("application bug");
    });
    req.on_error([&](const client::error&) { error_called = true; });
    req.end();
    ASSERT_TRUE(run_until([&] { return called; }));
    run_until([] { return false; }, 20ms);
    EXPECT_TRUE(req.aborted());
    EXPECT_FALSE(error_called);
}

TEST(client_http, head_waits_for_the_application_to_write_or_end) {
    upstream up;
    std::vector<std::string> heads;
    up.on_request = [&](const upstream::exchange& x) {
        heads.push_back(x.head);
        x.send(ok("x"));
    };
    client::agent a;
    outcome warm;
    fetch(with(a, up.url()), warm);
    ASSERT_TRUE(run_until([&] { return warm.done; }));
    // A pooled connection is ready at once; the GET is ended only later.
    outcome late;
    auto req = client::open(with(a, up.url("/late")), [&](client::response r) {
        r.on_data([&](std::string_view c) { late.body.append(c); });
        r.on_end([&] { late.done = true; });
    });
    nodus::set_timeout(30ms, [req] { req.end(); });
    ASSERT_TRUE(run_until([&] { return late.done; }));
    ASSERT_EQ(heads.size(), 2u);
    EXPECT_EQ(heads[1].find("Transfer-Encoding"), std::string::npos) << heads[1];
    EXPECT_EQ(heads[1].find("Content-Length"), std::string::npos) << heads[1];
    EXPECT_EQ(up.connections, 1);
}

TEST(client_http, max_idle_closes_connections_freed_past_it) {
    upstream up;
    std::vector<upstream::exchange> held;
    up.on_request = [&](const upstream::exchange& x) { held.push_back(x); };
    client::agent a({.max_idle = 1});
    std::vector<outcome> outs(3);
    for (auto& o : outs) fetch(with(a, up.url()), o);
    ASSERT_TRUE(run_until([&] { return held.size() == 3; }));
    for (auto& x : held) x.send(ok("x"));
    ASSERT_TRUE(run_until([&] { return outs[0].done && outs[1].done && outs[2].done; }));
    EXPECT_EQ(a.stats().idle, 1u);
    ASSERT_TRUE(run_until([&] { return up.peer_closed == 2; }));
}
