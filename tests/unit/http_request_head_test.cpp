// The request head, its parser callbacks and the body reader, without a socket.
#include "http/detail/body_reader.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/free_list.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

using nodus::detail::exchange;
using nodus::http::detail::body_reader;
using nodus::http::detail::feed_result;

namespace {

// Parse `head` into `ex` as the connection does; true when Beast accepts it.
bool parse(exchange& ex, std::string_view head, std::uint64_t body_limit = 1 << 20) {
    nodus::http::detail::head_info info;
    ex.req().assign(head, info);
    auto& p = ex.start_parsing();
    nodus::http_config cfg;
    cfg.max_body_bytes = body_limit;
    cfg.max_header_bytes = 64;
    cfg.max_headers = 2;
    p.set_limits(cfg);
    boost::beast::error_code ec;
    auto stored = ex.req().head();
    p.put(boost::asio::const_buffer(stored.data(), stored.size()), ec);
    return !ec && p.is_header_done();
}

} // namespace

TEST(request_head, line_fields_and_query) {
    exchange ex;
    ASSERT_TRUE(parse(ex, "GET /a%20b?x=1&y=&z=c+d HTTP/1.1\r\nHost: h\r\nX-Up: 1\r\n\r\n"));
    auto& req = ex.req();
    EXPECT_EQ(req.method(), "GET");
    EXPECT_EQ(req.path(), "/a%20b");
    EXPECT_EQ(req.query_string(), "x=1&y=&z=c+d");
    ASSERT_TRUE(req.find_field("x-up"));
    EXPECT_EQ(req.find_field("X-UP")->value, "1");
    EXPECT_FALSE(req.find_field("X-Down"));
    ASSERT_TRUE(req.find_query("y"));
    EXPECT_EQ(req.find_query("y")->value, ""); // present, empty
    EXPECT_EQ(req.find_query("z")->value, "c d");
    EXPECT_FALSE(req.find_query("w"));
    EXPECT_EQ(req.query_params().size(), 3u);
}

TEST(request_head, absolute_form_has_a_path_query_and_authority) {
    const struct {
        const char* target;
        const char* path;
        const char* query;
        const char* authority;
    } cases[] = {
        {"http://example.com/a/b?x=1", "/a/b", "x=1", "example.com"},
        {"HTTPS://[::1]:8443/a", "/a", "", "[::1]:8443"},
        {"http://example.com", "/", "", "example.com"},
        {"http://example.com?q", "/", "q", "example.com"},
        {"x-y+z.1://h/?", "/", "", "h"},
        // The other forms: no authority, the path is the target.
        {"/a?b", "/a", "b", ""},
        {"*", "*", "", ""},
        {"example.com:443", "example.com:443", "", ""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.target);
        exchange ex;
        ex.req().set_line("GET", c.target);
        EXPECT_EQ(ex.req().target(), c.target);
        EXPECT_EQ(ex.req().path(), c.path);
        EXPECT_EQ(ex.req().query_string(), c.query);
        EXPECT_EQ(ex.req().authority(), c.authority);
    }
}

TEST(request_head, route_params_are_capped_and_found) {
    exchange ex;
    nodus::param many[nodus::detail::max_route_params + 4];
    for (auto& p : many) p = {"k", "v"};
    many[1] = {"id", "7"};
    ex.req().set_params(many);
    EXPECT_EQ(ex.req().params().size(), nodus::detail::max_route_params);
    ASSERT_TRUE(ex.req().find_param("id"));
    EXPECT_EQ(ex.req().find_param("id")->value, "7");
    EXPECT_FALSE(ex.req().find_param("ID")); // route names are case-sensitive
}

TEST(request_head, kept_bytes_outlive_their_source) {
    exchange ex;
    std::string_view kept;
    {
        std::string tmp = "decoded";
        kept = ex.req().keep(tmp);
    }
    EXPECT_EQ(kept, "decoded");
}

TEST(request_head, reset_leaves_nothing_behind) {
    exchange ex;
    ASSERT_TRUE(parse(ex, "GET /?q=1 HTTP/1.1\r\nHost: h\r\n\r\n"));
    ex.req().query_params();
    ex.reset();
    EXPECT_EQ(ex.req().method(), "");
    EXPECT_TRUE(ex.req().fields().empty());
    EXPECT_TRUE(ex.req().query_params().empty());
}

// The address's text is kept across exchanges only while the address is the same.
TEST(request_head, remote_address_follows_the_address_across_resets) {
    namespace ip = boost::asio::ip;
    exchange ex;
    auto& req = ex.req();
    const std::pair<const char*, const char*> seq[] = {
        {"127.0.0.1", "127.0.0.1"}, {"127.0.0.1", "127.0.0.1"}, {"127.0.0.2", "127.0.0.2"},
        {"10.200.3.255", "10.200.3.255"}, {"::1", "::1"}, {"::2", "::2"}, {"::ffff:127.0.0.2", "::ffff:127.0.0.2"},
        {"127.0.0.2", "127.0.0.2"}, {"0.0.0.0", "0.0.0.0"},
    };
    unsigned short port = 1000;
    for (const auto& [address, text] : seq) {
        ex.req().reset();
        req.set_remote(ip::tcp::endpoint(ip::make_address(address), ++port));
        EXPECT_EQ(req.remote_address(), text) << address;
        EXPECT_EQ(req.remote_port(), port);
    }
}

TEST(body_reader, content_length_body_reaches_the_flow) {
    exchange ex;
    ASSERT_TRUE(parse(ex, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"));
    std::string got;
    ex.body().on_data([&](std::string_view c) { got += c; });
    body_reader r;
    auto a = r.feed(ex, "hel");
    EXPECT_EQ(a.used, 3u);
    EXPECT_EQ(a.result, feed_result::progressed);
    auto b = r.feed(ex, "lo");
    EXPECT_EQ(b.result, feed_result::done);
    EXPECT_EQ(got, "hello");
}

TEST(body_reader, bad_chunk_extension_is_malformed) {
    exchange ex;
    ASSERT_TRUE(parse(ex, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
    body_reader r;
    EXPECT_EQ(r.feed(ex, "3;a=\"\x01\"\r\nabc\r\n").result, feed_result::malformed);
}

TEST(body_reader, body_over_the_limit_is_too_large) {
    exchange ex;
    ASSERT_TRUE(parse(ex, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 4));
    body_reader r;
    EXPECT_EQ(r.feed(ex, "8\r\n12345678\r\n").result, feed_result::too_large);
}

TEST(body_reader, chunked_body_with_trailers_reaches_the_flow_and_the_head) {
    exchange ex;
    ASSERT_TRUE(parse(ex, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
    std::string got;
    ex.body().on_data([&](std::string_view c) { got += c; });
    body_reader r;
    const std::string_view body = "3;x=y\r\nabc\r\n0\r\nX-Sum: 7\r\nVary: *\r\n\r\nGET / HTTP/1.1\r\n";
    std::size_t pos = 0;
    feed_result last = feed_result::progressed;
    while (last == feed_result::progressed) {
        auto o = r.feed(ex, body.substr(pos));
        pos += o.used;
        last = o.result;
    }
    EXPECT_EQ(last, feed_result::done);
    EXPECT_EQ(body.substr(pos), "GET / HTTP/1.1\r\n"); // the next request is left alone
    EXPECT_EQ(got, "abc");
    auto trailers = ex.req().trailers();
    ASSERT_EQ(trailers.size(), 2u);
    EXPECT_EQ(trailers[0].name, "X-Sum");
    EXPECT_EQ(trailers[0].value, "7");
    ASSERT_TRUE(ex.req().find_trailer("vary"));
    EXPECT_EQ(ex.req().find_trailer("vary")->value, "*");
    EXPECT_FALSE(ex.req().find_field("x-sum"));
    ex.reset();
    EXPECT_TRUE(ex.req().trailers().empty());
}

TEST(body_reader, trailers_over_the_header_limits_are_fields_too_large) {
    for (std::string_view section : {"X-Long: 0123456789012345678901234567890123456789012345678901234567\r\n",
                                     "A: 1\r\nB: 2\r\nC: 3\r\n"}) {
        exchange ex;
        ASSERT_TRUE(parse(ex, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
        body_reader r;
        EXPECT_EQ(r.feed(ex, "0\r\n").result, feed_result::progressed);
        EXPECT_EQ(r.feed(ex, section).result, feed_result::fields_too_large) << section;
    }
}

TEST(body_reader, discarding_drops_chunks_within_a_budget) {
    exchange ex;
    ASSERT_TRUE(parse(ex, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 400000\r\n\r\n"));
    std::string got;
    ex.body().on_data([&](std::string_view c) { got += c; });
    body_reader r;
    r.start_discard(ex);
    EXPECT_TRUE(r.discarding());
    std::string block(200 * 1024, 'x');
    EXPECT_EQ(r.feed(ex, block).result, feed_result::progressed);
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(r.feed(ex, block).result, feed_result::not_worth_it);
}

TEST(free_list, keeps_at_most_its_limit) {
    nodus::detail::free_list<std::unique_ptr<int>> l{2};
    auto a = std::make_unique<int>(1), b = std::make_unique<int>(2), c = std::make_unique<int>(3);
    EXPECT_TRUE(l.give(a));
    EXPECT_TRUE(l.give(b));
    EXPECT_FALSE(l.give(c));
    EXPECT_TRUE(c); // refused: still the caller's
    EXPECT_EQ(l.size(), 2u);
    EXPECT_EQ(*l.take(), 2);
    EXPECT_EQ(*l.take(), 1);
    EXPECT_TRUE(l.empty());
}
