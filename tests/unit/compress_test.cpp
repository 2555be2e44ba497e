// Accept-Encoding negotiation, compressible types, and the zlib streams.
#include <nodus/compress/compression.hpp>

#include "compress/detail/zstream.hpp"

#include <gtest/gtest.h>

#include <random>

namespace {

using nodus::content_coding;
using nodus::negotiate_encoding;

content_coding pick(std::string_view h, bool deflate = true) { return negotiate_encoding(h, deflate).coding; }

TEST(accept_encoding, q_values_decide) {
    EXPECT_EQ(pick(""), content_coding::identity);
    EXPECT_EQ(pick("gzip"), content_coding::gzip);
    EXPECT_EQ(pick("deflate, gzip"), content_coding::gzip); // a tie goes to gzip
    EXPECT_EQ(pick("gzip;q=0.5, deflate"), content_coding::deflate);
    EXPECT_EQ(pick("gzip;q=0.5, deflate", false), content_coding::gzip);
    EXPECT_EQ(pick("gzip;q=0"), content_coding::identity);
    EXPECT_EQ(pick("GZIP;Q=1.000"), content_coding::gzip);
    EXPECT_EQ(pick("x-gzip"), content_coding::gzip);
    EXPECT_EQ(pick("br"), content_coding::identity);
    EXPECT_EQ(pick("*"), content_coding::gzip);
    EXPECT_EQ(pick("*;q=0.1, gzip;q=0"), content_coding::deflate);
    EXPECT_EQ(pick("gzip;q=0, gzip;q=0.8"), content_coding::gzip); // the higher weight wins
    EXPECT_EQ(pick(" , ,gzip ; q=0.001 ,"), content_coding::gzip);
}

TEST(accept_encoding, malformed_elements_are_ignored) {
    for (auto h : {"gzip;q=2", "gzip;q=abc", "gzip;q=0.1234", "gzip;q=1.5", "gzip;q=", "gzip;q", "gzip;=1",
                   "gzip;q=-1", "gzip;q=.5", "gzip;q=1.001"})
        EXPECT_EQ(pick(h), content_coding::identity) << h;
    EXPECT_EQ(pick("gzip;q=abc, deflate"), content_coding::deflate);
}

TEST(accept_encoding, identity_refusal) {
    EXPECT_TRUE(negotiate_encoding("gzip, identity;q=0").identity_refused);
    EXPECT_TRUE(negotiate_encoding("*;q=0").identity_refused);
    EXPECT_FALSE(negotiate_encoding("*;q=0, identity").identity_refused);
    EXPECT_FALSE(negotiate_encoding("gzip").identity_refused);
    EXPECT_FALSE(negotiate_encoding("").identity_refused);
}

TEST(compressible, types) {
    for (auto t : {"text/html", "text/plain; charset=utf-8", "application/json", "Application/JSON",
                   "application/problem+json", "image/svg+xml", "application/javascript"})
        EXPECT_TRUE(nodus::compressible_type(t)) << t;
    for (auto t : {"image/png", "application/octet-stream", "text/event-stream", "", "+json", "video/mp4"})
        EXPECT_FALSE(nodus::compressible_type(t)) << t;
}

std::string random_text(std::size_t n) {
    std::mt19937 rng{42};
    std::string s;
    static const char* words[] = {"alpha ", "beta ", "gamma ", "delta ", "todo ", "{\"id\":", "42, "};
    while (s.size() < n) s += words[rng() % 7];
    s.resize(n);
    return s;
}

TEST(zstream, roundtrip_gzip_and_deflate_in_pieces) {
    for (auto c : {content_coding::gzip, content_coding::deflate}) {
        auto text = random_text(300000);
        nodus::detail::deflater d{c, 6};
        std::string z;
        for (std::size_t i = 0; i < text.size(); i += 7000) d.compress(text.substr(i, 7000), false, z);
        d.compress({}, true, z);
        EXPECT_LT(z.size(), text.size() / 3);
        nodus::detail::inflater in{c, text.size()};
        std::string out;
        nodus::detail::inflater::result r{};
        for (std::size_t i = 0; i < z.size(); i += 1000)
            r = in.feed(std::string_view{z}.substr(i, 1000), out);
        EXPECT_EQ(r, nodus::detail::inflater::result::done);
        EXPECT_EQ(out, text);
    }
}

TEST(zstream, bomb_stops_at_the_limit) {
    nodus::detail::deflater d{content_coding::gzip, 9};
    std::string z;
    std::string zeros(1 << 20, '\0');
    for (int i = 0; i < 64; ++i) d.compress(zeros, false, z); // 64 MiB of zeros
    d.compress({}, true, z);
    EXPECT_LT(z.size(), 100000u);
    nodus::detail::inflater in{content_coding::gzip, 1 << 20};
    std::string out;
    EXPECT_EQ(in.feed(z, out), nodus::detail::inflater::result::too_large);
    EXPECT_LE(out.size(), (1u << 20) + 1);
}

TEST(zstream, corrupt_and_truncated) {
    nodus::detail::deflater d{content_coding::gzip, 6};
    std::string z;
    d.compress(random_text(5000), true, z);
    {
        nodus::detail::inflater in{content_coding::gzip, 1 << 20};
        std::string out, bad = z;
        bad[bad.size() / 2] ^= 0x55;
        bad[bad.size() / 2 + 1] ^= 0x55;
        auto r = in.feed(bad, out);
        EXPECT_NE(r, nodus::detail::inflater::result::done);
    }
    {
        nodus::detail::inflater in{content_coding::gzip, 1 << 20};
        std::string out;
        EXPECT_EQ(in.feed("this is not gzip at all", out), nodus::detail::inflater::result::corrupt);
    }
    {
        nodus::detail::inflater in{content_coding::gzip, 1 << 20};
        std::string out;
        EXPECT_EQ(in.feed(std::string_view{z}.substr(0, z.size() - 10), out),
                  nodus::detail::inflater::result::more);
        EXPECT_FALSE(in.finished());
    }
    {
        // Two gzip members are one body (RFC 1952 2.2); garbage after one is not.
        nodus::detail::inflater in{content_coding::gzip, 1 << 20};
        std::string out;
        EXPECT_EQ(in.feed(z + z, out), nodus::detail::inflater::result::done);
        EXPECT_EQ(out.size(), 10000u);
        nodus::detail::inflater in2{content_coding::gzip, 1 << 20};
        out.clear();
        EXPECT_EQ(in2.feed(z + "garbage!", out), nodus::detail::inflater::result::corrupt);
    }
}

} // namespace
