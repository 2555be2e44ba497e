// nodus::client's redirects (followed only when asked) and request bodies held to their
// declarations: Expect: 100-continue, a declared Content-Length.
#include "support/client_fetch.hpp"
#include "support/upstream.hpp"

#include <nodus/client/client.hpp>

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using nodus::test::fetch;
using nodus::test::ok;
using nodus::test::outcome;
using nodus::test::run_until;
using nodus::test::upstream;
using nodus::test::with;
namespace client = nodus::client;

TEST(client_redirect_expect, redirects_are_followed_only_when_asked) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        if (x.target() == "/old")
            return x.send("HTTP/1.1 302 Found\r\nLocation: /new\r\nContent-Length: 3\r\n\r\nold");
        if (x.target() == "/form")
            return x.send("HTTP/1.1 303 See Other\r\nLocation: /done\r\nContent-Length: 0\r\n\r\n");
        if (x.target() == "/loop")
            return x.send("HTTP/1.1 307 Again\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
        x.send(ok(x.method() + " " + x.target() + " " + x.body));
    };
    client::agent a;
    outcome plain, followed, see_other, looping;
    fetch(with(a, up.url("/old")), plain);
    ASSERT_TRUE(run_until([&] { return plain.done; }));
    EXPECT_EQ(plain.status, 302);
    EXPECT_EQ(plain.body, "old");

    auto o = with(a, up.url("/old"));
    o.max_redirects = 3;
    fetch(o, followed);
    ASSERT_TRUE(run_until([&] { return followed.done; }));
    EXPECT_EQ(followed.status, 200) << followed.err.message();
    EXPECT_EQ(followed.body, "GET /new ");

    o = with(a, up.url("/form"));
    o.method = "POST";
    o.max_redirects = 1;
    fetch(o, see_other, "payload");
    ASSERT_TRUE(run_until([&] { return see_other.done; }));
    EXPECT_EQ(see_other.body, "GET /done ") << "303 turns a POST into a GET without its body";

    o = with(a, up.url("/loop"));
    o.max_redirects = 4;
    fetch(o, looping);
    ASSERT_TRUE(run_until([&] { return looping.done; }));
    EXPECT_EQ(looping.err.code, client::errc::too_many_redirects);
}

TEST(client_redirect_expect, expect_continue_holds_the_body_until_100) {
    upstream up;
    bool saw_expect = false;
    up.on_accept = [&](const std::shared_ptr<upstream::conn>& c) {
        up.raw_data = [&](const std::shared_ptr<upstream::conn>& cc, std::size_t) {
            if (cc->in.find("\r\n\r\n") != std::string::npos && !saw_expect) {
                saw_expect = cc->in.find("Expect: 100-continue") != std::string::npos;
                EXPECT_EQ(cc->in.size(), cc->in.find("\r\n\r\n") + 4) << "no body before 100 Continue";
                cc->send("HTTP/1.1 100 Continue\r\n\r\n");
            }
            if (cc->in.ends_with("body!")) return cc->send(ok("got it"));
            cc->read();
        };
        c->read();
    };
    client::agent a;
    auto o = with(a, up.url());
    o.method = "POST";
    o.expect_continue = true;
    o.content_length = 5;
    outcome out;
    bool continued = false;
    auto req = client::open(o, [&](client::response r) {
        out.status = r.status();
        r.on_data([&](std::string_view c) { out.body.append(c); });
        r.on_end([&] { out.done = true; });
    });
    req.on_continue([&] { continued = true; });
    req.on_error([&](const client::error& e) {
        out.err = e;
        out.done = true;
    });
    req.end("body!");
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_FALSE(out.err) << out.err.message();
    EXPECT_TRUE(saw_expect);
    EXPECT_TRUE(continued);
    EXPECT_EQ(out.body, "got it");
}

TEST(client_redirect_expect, expect_continue_sends_the_body_after_a_second_without_100) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) { x.send(ok(x.body)); };
    client::agent a;
    auto o = with(a, up.url());
    o.method = "PUT";
    o.expect_continue = true;
    outcome out;
    const auto t0 = std::chrono::steady_clock::now();
    fetch(o, out, "late body");
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_FALSE(out.err) << out.err.message();
    EXPECT_EQ(out.body, "late body");
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
}

TEST(client_redirect_expect, a_final_answer_instead_of_100_is_the_response_and_the_body_is_not_sent) {
    upstream up;
    std::string seen;
    up.on_accept = [&](const std::shared_ptr<upstream::conn>& c) {
        up.raw_data = [&](const std::shared_ptr<upstream::conn>& cc, std::size_t) {
            seen = cc->in;
            if (cc->in.find("\r\n\r\n") != std::string::npos)
                return cc->send("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n\r\nbig!");
            cc->read();
        };
        c->read();
    };
    client::agent a;
    auto o = with(a, up.url());
    o.method = "POST";
    o.expect_continue = true;
    outcome out;
    fetch(o, out, std::string(100000, 'b'));
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.status, 413);
    EXPECT_EQ(out.body, "big!");
    EXPECT_EQ(seen.find("bbbb"), std::string::npos) << "the body was held back";
    EXPECT_EQ(a.stats().idle, 0u) << "a connection whose request body was never sent is closed";
}

TEST(client_redirect_expect, redirect_307_keeps_method_and_body_and_another_origin_gets_no_credentials) {
    upstream first, second;
    std::string second_head, second_body;
    second.on_request = [&](const upstream::exchange& x) {
        second_head = x.head;
        second_body = x.body;
        x.send(ok("moved"));
    };
    first.on_request = [&](const upstream::exchange& x) {
        x.send("HTTP/1.1 307 Temporary Redirect\r\nLocation: " + second.url("/there") +
               "\r\nContent-Length: 0\r\n\r\n");
    };
    client::agent a;
    auto o = with(a, first.url("/here"));
    o.method = "PUT";
    o.max_redirects = 2;
    o.headers = {{"Authorization", "Bearer secret"}, {"X-Keep", "1"}};
    outcome out;
    fetch(o, out, "payload");
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_FALSE(out.err) << out.err.message();
    EXPECT_EQ(out.body, "moved");
    EXPECT_EQ(second_head.rfind("PUT /there HTTP/1.1\r\n", 0), 0u) << second_head;
    EXPECT_EQ(second_body, "payload");
    EXPECT_EQ(second_head.find("Authorization"), std::string::npos);
    EXPECT_NE(second_head.find("X-Keep: 1"), std::string::npos);
}

TEST(client_redirect_expect, a_body_shorter_than_its_declared_length_is_refused) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) { x.send(ok("x")); };
    client::agent a;
    auto o = with(a, up.url());
    o.method = "POST";
    o.content_length = 10;
    outcome out;
    auto req = client::open(o, [&](client::response) {});
    req.on_error([&](const client::error& e) {
        out.err = e;
        out.done = true;
    });
    EXPECT_TRUE(req.write("12345"));
    EXPECT_FALSE(req.write("1234567")) << "past the declared length";
    req.end();
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::bad_request) << out.err.message();
}

TEST(client_redirect_expect, a_redirect_that_would_replay_a_streamed_body_is_delivered) {
    upstream up;
    up.on_request = [](const upstream::exchange& x) {
        x.send("HTTP/1.1 307 Temporary Redirect\r\nLocation: /other\r\nContent-Length: 0\r\n\r\n");
    };
    client::agent a;
    auto o = with(a, up.url("/here"));
    o.method = "PUT";
    o.max_redirects = 3;
    outcome out;
    auto req = client::open(o, [&](client::response r) {
        out.status = r.status();
        r.on_end([&] { out.done = true; });
    });
    req.on_error([&](const client::error& e) {
        out.err = e;
        out.done = true;
    });
    req.write("streamed ");
    nodus::set_timeout(std::chrono::milliseconds(20), [req] { req.end("body"); });
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_FALSE(out.err) << out.err.message();
    EXPECT_EQ(out.status, 307);
    EXPECT_EQ(up.requests, 1);
}

TEST(client_redirect_expect, an_answer_before_the_upload_ends_is_the_response) {
    upstream up;
    bool answered = false;
    up.on_accept = [&](const std::shared_ptr<upstream::conn>& c) {
        up.raw_data = [&](const std::shared_ptr<upstream::conn>& cc, std::size_t) {
            if (!answered && cc->in.find("\r\n\r\n") != std::string::npos) {
                answered = true;
                cc->send("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n");
            }
            cc->in.clear(); // read on and drop, as a server draining a refused body
            cc->read();
        };
        c->read();
    };
    client::agent a;
    auto o = with(a, up.url());
    o.method = "PUT";
    outcome out;
    auto req = client::open(o, [&](client::response r) {
        out.status = r.status();
        r.on_end([&] { out.done = true; });
    });
    req.on_error([&](const client::error& e) {
        out.err = e;
        out.done = true;
    });
    const std::string piece(64 * 1024, 'u');
    std::function<void()> pump = [&] {
        while (!req.finished() && req.write(piece)) {}
        if (!req.finished()) req.on_drain(pump);
    };
    pump();
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_FALSE(out.err) << out.err.message();
    EXPECT_EQ(out.status, 413);
    EXPECT_FALSE(req.write(piece)) << "nothing more is taken once the response is complete";
    EXPECT_EQ(a.stats().idle, 0u) << "a connection whose request was cut short is closed";
}
