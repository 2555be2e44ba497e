// The proxy's header rules and its upstream URL check.
#include <nodus/proxy/proxy.hpp>

#include "proxy/detail/upstream.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace {

using nodus::header_field;
using nodus::proxy::is_connection_specific;
using nodus::proxy::is_hop_by_hop;
using nodus::proxy::detail::parse_upstream;

TEST(proxy_fields, hop_by_hop_names_in_any_case) {
    for (auto n : {"Connection", "connection", "KEEP-ALIVE", "TE", "te", "Trailer", "Transfer-Encoding", "Upgrade",
                   "Proxy-Connection", "proxy-authorization", "Proxy-Authenticate", "PROXY-anything"})
        EXPECT_TRUE(is_hop_by_hop(n)) << n;
    for (auto n : {"Trailers", "Host", "Content-Length", "X-Connection", "Proxy", "Proxy_", "Upgrade-Insecure-Requests",
                   "", "T", "Keep-Alive2", "Content-Type"})
        EXPECT_FALSE(is_hop_by_hop(n)) << n;
}

TEST(proxy_fields, connection_options_are_connection_specific) {
    std::vector<header_field> f{{"Host", "x"},
                                {"Connection", "keep-alive, X-Private ,,"},
                                {"connection", " x-other"},
                                {"X-Private", "1"},
                                {"X-Public", "2"}};
    EXPECT_TRUE(is_connection_specific("X-Private", f));
    EXPECT_TRUE(is_connection_specific("x-private", f));
    EXPECT_TRUE(is_connection_specific("X-Other", f)); // a second Connection line counts too
    EXPECT_TRUE(is_connection_specific("Keep-Alive", f));
    EXPECT_FALSE(is_connection_specific("X-Public", f));
    EXPECT_FALSE(is_connection_specific("Host", f));
    EXPECT_FALSE(is_connection_specific("X-Priv", f));
    EXPECT_FALSE(is_connection_specific("X-Public", {}));
}

TEST(proxy_upstream, origins) {
    auto u = parse_upstream("http://127.0.0.1:9000");
    EXPECT_FALSE(u.https);
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 9000);
    u = parse_upstream("https://api.example.com/");
    EXPECT_TRUE(u.https);
    EXPECT_EQ(u.host, "api.example.com");
    EXPECT_EQ(u.port, 443);
    u = parse_upstream("http://[::1]:81");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 81);
    EXPECT_EQ(parse_upstream("HTTP://Example.com").port, 80);
}

TEST(proxy_upstream, what_is_not_an_origin_is_refused) {
    for (auto bad : {"", "127.0.0.1:9000", "ftp://h", "http://", "http://:80", "http://h:0", "http://h:65536",
                     "http://h:99999999999", "http://h:x", "http://u:p@h", "http://h/base", "http://h/?q",
                     "http://h#f", "http://h%41", "not a url", "http://h\r\n:1", "//h:1"}) {
        EXPECT_THROW(parse_upstream(bad), std::invalid_argument) << bad;
    }
}

TEST(proxy_forward, refuses_a_bad_upstream_at_setup) {
    EXPECT_THROW(nodus::proxy::forward({.upstream = "http://h/base"}), std::invalid_argument);
    EXPECT_NO_THROW(nodus::proxy::forward({.upstream = "http://127.0.0.1:1"}));
}

} // namespace
