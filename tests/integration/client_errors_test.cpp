// nodus::client's failures, each reported through on_error with its own code: DNS, refused
// connections, the three timeouts, and upstreams that send garbage, lie about lengths, close
// mid-body or mix Content-Length with Transfer-Encoding.
#include "support/client_fetch.hpp"
#include "support/upstream.hpp"

#include <nodus/client/client.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

using namespace std::chrono_literals;
using nodus::test::fetch;
using nodus::test::outcome;
using nodus::test::run_until;
using nodus::test::upstream;
using nodus::test::with;
namespace client = nodus::client;

namespace {

// The failure of one GET to an upstream that answers every request with `reply`.
client::error answer_with(std::string reply, std::string* body = nullptr) {
    upstream up;
    up.on_request = [reply](const upstream::exchange& x) { x.send(reply); };
    client::agent a;
    outcome out;
    fetch(with(a, up.url()), out);
    EXPECT_TRUE(run_until([&] { return out.done; }));
    if (body) *body = out.body;
    return out.err;
}

} // namespace

TEST(client_errors, dns_failure_for_a_name_under_invalid) {
    client::agent a;
    outcome out;
    fetch(with(a, "http://no-such-host.invalid/"), out);
    ASSERT_TRUE(run_until([&] { return out.done; }, 30s));
    EXPECT_EQ(out.err.code, client::errc::dns_failure) << out.err.message();
    EXPECT_NE(out.err.reason.find("no-such-host.invalid"), std::string::npos);
}

TEST(client_errors, connection_refused) {
    std::uint16_t port;
    {
        upstream closed;
        port = closed.port();
    }
    client::agent a;
    outcome out;
    fetch(with(a, "http://127.0.0.1:" + std::to_string(port) + "/"), out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::connect_refused) << out.err.message();
    EXPECT_EQ(a.stats().active, 0u) << "the failed connection gave its slot back";
}

TEST(client_errors, connect_timeout) {
    // A listener that never accepts, with its backlog full: further SYNs go unanswered.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 0), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {
        int f = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ::connect(f, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        fillers.push_back(f);
    }
    client::agent a;
    auto o = with(a, "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/");
    o.connect_timeout = 200ms;
    outcome out;
    fetch(o, out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::connect_timeout) << out.err.message();
    for (int f : fillers) ::close(f);
    ::close(fd);
}

TEST(client_errors, header_timeout_when_the_upstream_never_answers) {
    upstream up;
    up.on_request = [](const upstream::exchange&) {};
    client::agent a;
    auto o = with(a, up.url());
    o.header_timeout = 150ms;
    outcome out;
    const auto t0 = std::chrono::steady_clock::now();
    fetch(o, out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::header_timeout) << out.err.message();
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
    ASSERT_TRUE(run_until([&] { return up.peer_closed == 1; })) << "the connection is closed, not pooled";
}

TEST(client_errors, idle_timeout_when_the_body_stalls) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        x.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    };
    client::agent a;
    auto o = with(a, up.url());
    o.idle_timeout = 150ms;
    outcome out;
    fetch(o, out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(out.body, "abc");
    EXPECT_EQ(out.err.code, client::errc::idle_timeout) << out.err.message();
}

TEST(client_errors, a_slow_but_moving_body_is_not_an_idle_timeout) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        x.send("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n");
        for (int i = 1; i <= 8; ++i) nodus::set_timeout(i * 60ms, [c = x.c] { c->send("z"); });
    };
    client::agent a;
    auto o = with(a, up.url());
    o.idle_timeout = 250ms; // the body takes 480 ms: only its 60 ms pauses count
    outcome out;
    fetch(o, out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_FALSE(out.err) << out.err.message();
    EXPECT_EQ(out.body, "zzzzzzzz");
}

TEST(client_errors, garbage_is_a_bad_response) {
    auto e = answer_with("SSH-2.0-OpenSSH_9.2\r\n\r\n");
    EXPECT_EQ(e.code, client::errc::bad_response);
    EXPECT_EQ(e.reason, "bad response: bad status line");
}

TEST(client_errors, content_length_with_transfer_encoding_is_refused) {
    auto e = answer_with(
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    EXPECT_EQ(e.code, client::errc::bad_response);
    EXPECT_EQ(e.reason, "bad response: Content-Length with Transfer-Encoding");
}

TEST(client_errors, framing_lies_are_refused) {
    EXPECT_EQ(answer_with("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd").reason,
              "bad response: differing Content-Lengths");
    EXPECT_EQ(answer_with("HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\nabc").reason,
              "bad response: bad Content-Length");
    EXPECT_EQ(answer_with("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n").reason,
              "bad response: bad Content-Length");
    EXPECT_EQ(answer_with("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").reason,
              "bad response: unknown transfer coding");
    EXPECT_EQ(answer_with("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n").reason,
              "bad response: unknown transfer coding");
    EXPECT_EQ(answer_with("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n").reason,
              "bad response: bad chunk size");
    EXPECT_EQ(answer_with("HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n").reason,
              "bad response: obs-fold");
    EXPECT_EQ(answer_with("HTTP/1.1 200 OK\nContent-Length: 0\n\n").reason, "bad response: bare LF");
    EXPECT_EQ(answer_with("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n").reason, "bad response: bare CR");
    EXPECT_EQ(answer_with("HTTP/1.1 200 OK\r\nX: " + std::string(70000, 'a') + "\r\n\r\n").reason,
              "bad response: header too large");
}

TEST(client_errors, shorter_body_than_its_length_is_closed_mid_body) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        x.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        nodus::set_timeout(10ms, [c = x.c] { c->close(); });
    };
    client::agent a;
    outcome out;
    fetch(with(a, up.url()), out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::closed);
    EXPECT_EQ(out.err.reason, "connection closed mid-body");
    EXPECT_EQ(out.body, "abc");
}

TEST(client_errors, chunked_body_cut_before_the_last_chunk_is_closed_mid_body) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        x.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
        nodus::set_timeout(10ms, [c = x.c] { c->close(); });
    };
    client::agent a;
    outcome out;
    fetch(with(a, up.url()), out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::closed);
}

TEST(client_errors, longer_body_than_its_length_is_not_a_next_response) {
    upstream up;
    up.on_request = [&up](const upstream::exchange& x) {
        if (up.requests == 1)
            x.send(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: "
                "8\r\n\r\nsmuggled");
        else x.send("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal");
    };
    client::agent a;
    outcome first, second;
    fetch(with(a, up.url()), first);
    ASSERT_TRUE(run_until([&] { return first.done; }));
    EXPECT_EQ(first.body, "ok");
    fetch(with(a, up.url()), second);
    ASSERT_TRUE(run_until([&] { return second.done; }));
    EXPECT_EQ(second.body, "real");
    EXPECT_EQ(up.connections, 2) << "a connection with bytes past the response is not reused";
}

TEST(client_errors, closed_before_any_response) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) { x.close(); };
    client::agent a;
    outcome out;
    fetch(with(a, up.url()), out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::closed);
    EXPECT_EQ(out.err.reason, "connection closed before the response");
    EXPECT_EQ(a.stats().retried, 0u) << "a fresh connection is not retried";
}

TEST(client_errors, bad_urls_and_options_fail_through_the_callback) {
    client::agent a;
    for (std::string url : {"ftp://x/", "http://user:pw@127.0.0.1/", "not a url", "http:///path"}) {
        outcome out;
        fetch(with(a, url), out);
        ASSERT_TRUE(run_until([&] { return out.done; })) << url;
        EXPECT_EQ(out.err.code, client::errc::bad_request) << url << ": " << out.err.message();
    }
    client::options o = with(a, "http://127.0.0.1:1/");
    o.headers = {{"Connection", "close"}};
    outcome out;
    fetch(o, out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::bad_request);
    o.headers = {{"X-Bad", "a\r\nInjected: 1"}};
    outcome injected;
    fetch(o, injected);
    ASSERT_TRUE(run_until([&] { return injected.done; }));
    EXPECT_EQ(injected.err.code, client::errc::bad_request);
}

TEST(client_errors, abort_cancels_without_callbacks_and_closes_the_connection) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        x.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
    };
    client::agent a;
    bool error_called = false, ended = false;
    client::request req;
    req = client::open(with(a, up.url()), [&](client::response r) {
        r.on_data([&](std::string_view) { req.abort(); });
        r.on_end([&] { ended = true; });
    });
    req.on_error([&](const client::error&) { error_called = true; });
    req.end();
    ASSERT_TRUE(run_until([&] { return up.peer_closed == 1; }));
    EXPECT_TRUE(req.aborted());
    EXPECT_FALSE(error_called);
    EXPECT_FALSE(ended);
    EXPECT_EQ(a.stats().active, 0u);
    req = {};
}

TEST(client_errors, closing_the_agent_cancels_queued_requests) {
    upstream up;
    up.on_request = [](const upstream::exchange&) {};
    client::agent a({.max_sockets = 1});
    outcome first, queued;
    auto o = with(a, up.url());
    o.header_timeout = 300ms;
    fetch(o, first);
    fetch(o, queued);
    ASSERT_TRUE(run_until([&] { return up.requests == 1; }));
    a.close();
    ASSERT_TRUE(run_until([&] { return queued.done; }));
    EXPECT_EQ(queued.err.code, client::errc::cancelled);
    ASSERT_TRUE(run_until([&] { return first.done; }));
    EXPECT_EQ(first.err.code, client::errc::header_timeout);
}

TEST(client_errors, time_paused_by_the_application_is_not_an_idle_timeout) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        x.send("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
    };
    client::agent a;
    auto o = with(a, up.url());
    o.idle_timeout = 100ms;
    outcome out;
    auto req = client::open(o, [&](client::response r) {
        r.pause();
        nodus::set_timeout(300ms, [r] { r.resume(); });
        r.on_data([&](std::string_view c) { out.body.append(c); });
        r.on_end([&] { out.done = true; });
    });
    req.on_error([&](const client::error& e) {
        out.err = e;
        out.done = true;
    });
    req.end();
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_FALSE(out.err) << out.err.message();
    EXPECT_EQ(out.body, "abc");
}

TEST(client_errors, idle_timeout_when_the_upstream_stops_taking_the_body) {
    upstream up;
    std::shared_ptr<upstream::conn> held;
    up.on_accept = [&](const std::shared_ptr<upstream::conn>& c) { held = c; }; // accepts, never reads
    client::agent a;
    auto o = with(a, up.url());
    o.method = "PUT";
    o.idle_timeout = 200ms;
    outcome out;
    auto req = client::open(o, [&](client::response) { out.done = true; });
    req.on_error([&](const client::error& e) {
        out.err = e;
        out.done = true;
    });
    const std::string piece(64 * 1024, 'p');
    std::function<void()> pump = [&] {
        while (req.write(piece)) {}
        req.on_drain(pump);
    };
    pump();
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::idle_timeout) << out.err.message();
    EXPECT_LE(req.buffered(), 0u + o.high_water_mark + piece.size() + 16)
        << "never more than the mark plus one piece";
}

TEST(client_errors, connection_close_and_http10_responses_are_not_pooled) {
    upstream up;
    up.on_request = [&up](const upstream::exchange& x) {
        if (up.requests == 1)
            return x.send("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na");
        if (up.requests == 2) return x.send("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nb");
        x.send("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nc");
    };
    client::agent a;
    for (const char* want : {"a", "b", "c", "c"}) {
        outcome out;
        fetch(with(a, up.url()), out);
        ASSERT_TRUE(run_until([&] { return out.done; }));
        EXPECT_EQ(out.body, want);
    }
    EXPECT_EQ(up.connections, 3) << "close and plain HTTP/1.0 end their connection; 1.0 keep-alive does not";
}

TEST(client_errors, ipv6_literal_urls) {
    boost::system::error_code ec;
    boost::asio::ip::tcp::acceptor probe(nodus::io_context());
    probe.open(boost::asio::ip::tcp::v6(), ec);
    if (!ec) probe.bind({boost::asio::ip::make_address("::1"), 0}, ec);
    if (ec) GTEST_SKIP() << "no IPv6 loopback";
    const auto port = probe.local_endpoint().port();
    probe.close();
    client::agent a;
    outcome out;
    fetch(with(a, "http://[::1]:" + std::to_string(port) + "/"), out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::connect_refused) << out.err.message();
    EXPECT_NE(out.err.reason.find("::1"), std::string::npos);
}
