// Hostile upstreams against the whole client (sockets, pool, exchange), not just its parser:
// responses mutated byte by byte, cut anywhere, sent in random pieces with the connection
// closed or kept. Whatever arrives, every request ends exactly once (on_end or on_error), and
// nothing crashes or hangs (the sanitizer build runs this too).
#include "support/upstream.hpp"

#include <nodus/client/client.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

using nodus::test::run_until;
using nodus::test::upstream;
namespace client = nodus::client;

namespace {

const std::vector<std::string> valid = {
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    "HTTP/1.0 200 OK\r\n\r\nuntil close",
    "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
};

std::string mutate(std::string s, std::mt19937& rng) {
    const char specials[] = {'\r', '\n', ' ', ':', '\0', '\t', '0', 'f', ';', ','};
    const int edits = static_cast<int>(rng() % 4);
    for (int i = 0; i < edits && !s.empty(); ++i) {
        const auto at = rng() % s.size();
        switch (rng() % 4) {
        case 0: s[at] = specials[rng() % sizeof specials]; break;
        case 1: s.erase(at, 1 + rng() % 3); break;
        case 2: s.insert(at, 1, specials[rng() % sizeof specials]); break;
        default: s.insert(at, s.substr(at, rng() % 16)); break;
        }
    }
    if (rng() % 4 == 0) s.resize(rng() % (s.size() + 1)); // cut short
    return s;
}

} // namespace

TEST(client_hostile, every_request_ends_once_whatever_the_upstream_sends) {
    // NODUS_HOSTILE_SEED replays another sequence (to search by hand, or to reproduce one).
    const char* seed = std::getenv("NODUS_HOSTILE_SEED");
    std::mt19937 rng(seed ? static_cast<unsigned>(std::strtoul(seed, nullptr, 10)) : 20261201u);
    upstream up;
    up.on_request = [&](const upstream::exchange& x) {
        std::string reply = mutate(valid[rng() % valid.size()], rng);
        if (rng() % 3 == 0) reply += mutate(valid[rng() % valid.size()], rng); // a second response
        std::size_t pos = 0;
        int delay = 0;
        while (pos < reply.size()) {
            const auto n = 1 + rng() % 40;
            nodus::set_timeout(std::chrono::milliseconds(delay),
                               [c = x.c, piece = reply.substr(pos, n)] { c->send(piece); });
            pos += n;
            delay += static_cast<int>(rng() % 2);
        }
        if (rng() % 2) nodus::set_timeout(std::chrono::milliseconds(delay + 1), [c = x.c] { c->close(); });
    };
    client::agent a({.max_sockets = 4});
    const int total = 300;
    int ended = 0, failed = 0, twice = 0;
    for (int i = 0; i < total; ++i) {
        client::options o;
        o.url = up.url(i % 5 == 0 ? "/head" : "/");
        o.method = i % 5 == 0 ? "HEAD" : "GET";
        o.agent = a;
        o.header_timeout = std::chrono::milliseconds(300);
        o.idle_timeout = std::chrono::milliseconds(300);
        o.max_redirects = i % 2;
        auto count = std::make_shared<int>(0);
        auto req = client::open(o, [&, count](client::response r) {
            r.on_data([](std::string_view) {});
            r.on_end([&, count] {
                if ((*count)++) ++twice;
                ++ended;
            });
        });
        req.on_error([&, count](const client::error& e) {
            EXPECT_TRUE(e.code) << "an error has a code";
            EXPECT_FALSE(e.reason.empty());
            if ((*count)++) ++twice;
            ++failed;
        });
        req.end();
    }
    ASSERT_TRUE(run_until([&] { return ended + failed == total; }, std::chrono::seconds(60)))
        << ended << " ended, " << failed << " failed of " << total;
    EXPECT_EQ(twice, 0);
    EXPECT_GT(ended, 0);
    EXPECT_GT(failed, 0);
    const auto s = a.stats();
    EXPECT_EQ(s.active, 0u);
    EXPECT_EQ(s.queued, 0u);
    a.close_idle();
}
