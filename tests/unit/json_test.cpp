// nodus::json's incremental reader (json/detail/body_parser): chunks in, a value or an error
// with its place out; hostile input included.
#include "json/detail/body_parser.hpp"

#include <nodus/http/error.hpp>

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using nodus::json::detail::body_parser;

// Feeds `body` in pieces of `piece` bytes; the error (status 0 on success) and the value.
std::pair<nodus::json::read_error, boost::json::value> parse(std::string_view body, std::size_t piece = 7,
                                                             nodus::json::read_options opts = {}) {
    body_parser p{opts};
    for (std::size_t at = 0; at < body.size(); at += piece)
        if (!p.feed(body.substr(at, piece))) return {p.error(), {}};
    if (!p.finish()) return {p.error(), {}};
    return {{}, p.release()};
}

TEST(json_reader, parses_a_document_split_anywhere) {
    const std::string doc = R"({"title": "milk", "done": false, "tags": ["a", "b"], "n": 12.5})";
    for (std::size_t piece = 1; piece <= doc.size(); ++piece) {
        auto [err, v] = parse(doc, piece);
        ASSERT_FALSE(err) << piece << ": " << err.message;
        EXPECT_EQ(v, boost::json::parse(doc)) << piece;
    }
}

TEST(json_reader, malformed_json_names_offset_line_and_column) {
    auto [err, v] = parse("{\n  \"a\": 1,\n  \"b\": tru\n}", 3);
    ASSERT_TRUE(err);
    EXPECT_EQ(err.status, 400);
    EXPECT_EQ(err.line, 3u);
    EXPECT_EQ(err.column, 11u) << err.message; // the byte after "tru"
    EXPECT_EQ(err.offset, 22u);
    EXPECT_NE(err.message.find("line 3, column 11"), std::string::npos) << err.message;
    const auto body = err.to_json();
    EXPECT_EQ(body.at("line"), 3);
    EXPECT_EQ(body.at("offset"), 22);
}

TEST(json_reader, the_error_is_where_the_parser_stopped) {
    auto [err, v] = parse("[1, 2,, 3]", 100);
    ASSERT_TRUE(err);
    EXPECT_EQ(err.offset, 6u);
    EXPECT_EQ(err.column, 7u);
    EXPECT_EQ(err.code, boost::json::error::syntax);
}

TEST(json_reader, truncated_and_empty_bodies_are_malformed_at_their_end) {
    for (std::string_view body : {"", "{", "{\"a\":", "[1, 2", "\"abc", "12e", "  "}) {
        auto [err, v] = parse(body, 2);
        ASSERT_TRUE(err) << body;
        EXPECT_EQ(err.status, 400) << body;
        EXPECT_EQ(err.offset, body.size()) << body;
        EXPECT_FALSE(err.body_unread) << body; // the whole body was read: nothing left
    }
}

TEST(json_reader, trailing_data_after_the_document_is_malformed) {
    auto [err, v] = parse("{} {}", 100);
    ASSERT_TRUE(err);
    EXPECT_EQ(err.offset, 3u);
    EXPECT_EQ(err.code, boost::json::error::extra_data);
}

TEST(json_reader, deep_nesting_stops_at_the_depth_limit_without_recursing_further) {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    auto [err, v] = parse(deep, 4096);
    ASSERT_TRUE(err);
    EXPECT_EQ(err.code, boost::json::error::too_deep);
    EXPECT_EQ(err.offset, 64u); // the 65th '[' is refused

    auto [ok, v2] = parse(std::string(64, '[') + std::string(64, ']'));
    EXPECT_FALSE(ok) << ok.message;

    // A configured depth above the ceiling is taken as the ceiling.
    auto [capped, v3] = parse(deep, 4096, {.max_depth = 1u << 30});
    ASSERT_TRUE(capped);
    EXPECT_EQ(capped.offset, nodus::json::max_depth_limit);
}

TEST(json_reader, huge_numbers_are_read_or_refused_never_wrapped) {
    auto [e1, big] = parse("123456789012345678901234567890");
    ASSERT_FALSE(e1) << e1.message;
    EXPECT_TRUE(big.is_double());
    EXPECT_DOUBLE_EQ(big.as_double(), 1.2345678901234568e29);

    auto [e2, u] = parse("18446744073709551615");
    ASSERT_FALSE(e2);
    EXPECT_EQ(u.as_uint64(), 18446744073709551615ull);

    auto [e3, n] = parse("-9223372036854775808");
    ASSERT_FALSE(e3);
    EXPECT_EQ(n.as_int64(), INT64_MIN);

    // Beyond a double: Boost.JSON would read infinity and write "Infinity", which is not JSON.
    for (std::string_view body : {"1e999", "[1, {\"a\": -1e400}]", "{\"deep\": [[2e308]]}"}) {
        auto [err, v] = parse(body);
        ASSERT_TRUE(err) << body;
        EXPECT_EQ(err.status, 400);
        EXPECT_EQ(err.code, boost::json::error::exponent_overflow);
        EXPECT_EQ(err.to_json().size(), 1u); // no place to name
    }
    auto [tiny_err, tiny] = parse("1e-999");
    ASSERT_FALSE(tiny_err);
    EXPECT_EQ(tiny.as_double(), 0.0);
    auto [long_err, digits] = parse(std::string(100000, '9'), 4096);
    EXPECT_TRUE(long_err || std::isfinite(digits.as_double())) << long_err.message;
}

TEST(json_reader, invalid_utf8_in_a_string_is_malformed) {
    for (std::string_view body :
         {"\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "{\"\xc0\xaf\": 1}"}) {
        auto [err, v] = parse(body, 1);
        ASSERT_TRUE(err) << boost::json::serialize(v);
        EXPECT_EQ(err.status, 400);
    }
    auto [ok, v] = parse("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", 1);
    EXPECT_FALSE(ok) << ok.message;
}

TEST(json_reader, the_size_limit_counts_every_chunk) {
    auto [err, v] = parse(R"({"a": "0123456789"})", 4, {.max_bytes = 10});
    ASSERT_TRUE(err);
    EXPECT_EQ(err.status, 413);
    EXPECT_EQ(err.code, nodus::errc::body_too_large);
    EXPECT_TRUE(err.body_unread);
    auto [ok, v2] = parse(R"([1,2,3])", 1, {.max_bytes = 7});
    EXPECT_FALSE(ok) << ok.message;
}

TEST(json_reader, after_an_error_more_chunks_change_nothing) {
    body_parser p{{}};
    EXPECT_FALSE(p.feed("[1,,"));
    const auto first = p.error().offset;
    EXPECT_FALSE(p.feed("2]"));
    EXPECT_FALSE(p.finish());
    EXPECT_EQ(p.error().offset, first);
}

} // namespace
