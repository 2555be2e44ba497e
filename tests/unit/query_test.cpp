#include "text/detail/query.hpp"

#include <cstdio>
#include <deque>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/pct_string_view.hpp>
#include <gtest/gtest.h>

namespace nodus::detail {
namespace {

std::string decode(std::string_view in, bool plus) {
    std::string out(in.size(), '\0');
    out.resize(percent_decode(in, out.data(), plus));
    return out;
}

using pairs = std::vector<std::pair<std::string, std::string>>;

pairs split(std::string_view qs) {
    pairs out;
    split_query(qs, [&out](std::string_view n, std::string_view v) { out.emplace_back(n, v); });
    return out;
}

TEST(query, needs_decoding) {
    EXPECT_FALSE(needs_decoding("", false));
    EXPECT_FALSE(needs_decoding("abc/def", true));
    EXPECT_TRUE(needs_decoding("a%20b", false));
    EXPECT_FALSE(needs_decoding("a+b", false));
    EXPECT_TRUE(needs_decoding("a+b", true));
    EXPECT_TRUE(needs_decoding("%", true));
}

TEST(query, decodes_escapes) {
    EXPECT_EQ(decode("", false), "");
    EXPECT_EQ(decode("plain", false), "plain");
    EXPECT_EQ(decode("a%20b", false), "a b");
    EXPECT_EQ(decode("%41%42%43", false), "ABC");
    EXPECT_EQ(decode("%e2%82%AC", false), "\xe2\x82\xac");
    EXPECT_EQ(decode("%2F", false), "/");
    EXPECT_EQ(decode("%00x", false), std::string("\0x", 2));
}

TEST(query, keeps_invalid_escapes) {
    EXPECT_EQ(decode("%zz", false), "%zz");
    EXPECT_EQ(decode("%4", false), "%4");
    EXPECT_EQ(decode("a%", false), "a%");
    EXPECT_EQ(decode("%", false), "%");
    EXPECT_EQ(decode("%4g%41", false), "%4gA");
    EXPECT_EQ(decode("%%41", false), "%A");
    EXPECT_EQ(decode("100%", true), "100%");
}

TEST(query, plus_as_space) {
    EXPECT_EQ(decode("a+b", true), "a b");
    EXPECT_EQ(decode("a+b", false), "a+b");
    EXPECT_EQ(decode("%2B+", true), "+ ");
}

TEST(query, agrees_with_boost_url_on_valid_input) {
    std::mt19937 rng{42};
    std::string_view const alphabet = "abcXYZ019-._~!$&'()*,;=:@/?+";
    for (int round = 0; round < 5000; ++round) {
        std::string s;
        auto const len = rng() % 24;
        for (unsigned i = 0; i < len; ++i) {
            if (rng() % 4 == 0) {
                char buf[4];
                std::snprintf(buf, sizeof buf, (rng() % 2) ? "%%%02X" : "%%%02x",
                              static_cast<unsigned>(rng() % 256));
                s += buf;
            } else {
                s += alphabet[rng() % alphabet.size()];
            }
        }
        auto const pct = boost::urls::make_pct_string_view(s);
        ASSERT_TRUE(pct.has_value()) << s;
        for (bool plus : {false, true}) {
            boost::urls::encoding_opts opt;
            opt.space_as_plus = plus;
            EXPECT_EQ(decode(s, plus), pct->decode(opt)) << s << " plus=" << plus;
        }
    }
}

TEST(query, splits_pairs) {
    EXPECT_EQ(split(""), pairs{});
    EXPECT_EQ(split("a=1&b=2"), (pairs{{"a", "1"}, {"b", "2"}}));
    EXPECT_EQ(split("a&b="), (pairs{{"a", ""}, {"b", ""}}));
    EXPECT_EQ(split("&&a=1&&"), (pairs{{"a", "1"}}));
    EXPECT_EQ(split("a=1=2"), (pairs{{"a", "1=2"}}));
    EXPECT_EQ(split("=x"), (pairs{{"", "x"}}));
    EXPECT_EQ(split("a=1;b=2"), (pairs{{"a", "1;b=2"}}));
    EXPECT_EQ(split("a=%20&a=+"), (pairs{{"a", "%20"}, {"a", "+"}}));
}

TEST(query, split_agrees_with_boost_url) {
    for (std::string_view qs : {"a=1&b=2&c", "x=%41%42&y=a+b&z=", "k=v=w&k=2"}) {
        auto const parsed = boost::urls::parse_query(qs);
        ASSERT_TRUE(parsed.has_value());
        pairs expected;
        for (auto const p : *parsed)
            expected.emplace_back(std::string_view{p.key}, std::string_view{p.value});
        EXPECT_EQ(split(qs), expected) << qs;
    }
}

TEST(query, decode_component_returns_raw_when_clean) {
    std::deque<std::string> kept;
    auto store = [&kept](std::string_view b) -> std::string_view { return kept.emplace_back(b); };
    std::string_view const raw = "abc";
    auto const out = decode_component(raw, true, store);
    EXPECT_EQ(out.data(), raw.data());
    EXPECT_TRUE(kept.empty());
    EXPECT_EQ(decode_component("a+%41", true, store), "a A");
    EXPECT_EQ(kept.size(), 1u);
}

TEST(query, decode_component_long_input) {
    std::deque<std::string> kept;
    auto store = [&kept](std::string_view b) -> std::string_view { return kept.emplace_back(b); };
    std::string raw;
    for (int i = 0; i < 1000; ++i) raw += "%41b";
    auto const out = decode_component(raw, false, store);
    ASSERT_EQ(out.size(), 2000u);
    EXPECT_EQ(out.substr(0, 4), "AbAb");
}

} // namespace
} // namespace nodus::detail
