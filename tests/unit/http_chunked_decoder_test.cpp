// The chunked body decoder (RFC 9112 7.1) on its own: data handed out in place, however
// the bytes are split; each refusal decided by the byte that shows it; the limits.
#include "http/detail/chunked_decoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

using nodus::http::detail::chunked_decoder;
using nodus::http::detail::chunked_limits;
using nodus::http::detail::max_chunk_extension_bytes;

namespace {

struct outcome {
    std::string data;
    std::string trailers;
    int status = 0; // the refusal, if any
    std::size_t at = 0; // bytes consumed when it ended (done or refused)
    bool done = false;
};

// Feeds `in` in pieces of at most `piece` bytes, as reads would bring them.
outcome decode(std::string_view in, std::size_t piece = 1 << 20, chunked_limits lim = {}) {
    chunked_decoder d;
    d.set_limits(lim);
    outcome out;
    std::size_t fed = 0; // bytes received so far
    std::size_t pos = 0; // bytes the decoder consumed
    for (;;) {
        if (pos == fed) {
            if (fed == in.size()) break;
            fed = std::min(in.size(), fed + piece);
        }
        auto s = d.decode(in.substr(pos, fed - pos), out.trailers);
        out.data += s.data;
        pos += s.used;
        if (s.error || s.done) {
            out.status = s.error.status;
            out.done = s.done;
            break;
        }
    }
    out.at = pos;
    return out;
}

TEST(chunked_decoder, decodes_the_same_whatever_the_split) {
    const std::string body =
        "5;a=b\r\nhello\r\n1 ; c = \"d\\\"e\"\r\n \r\n000A\r\n0123456789\r\n"
        "0;z\r\nX-One: 1\r\nX-Two:\t two \t\r\n\r\nNEXT";
    for (std::size_t piece : {1u, 2u, 3u, 7u, 64u, 1024u}) {
        SCOPED_TRACE(piece);
        auto o = decode(body, piece);
        EXPECT_TRUE(o.done);
        EXPECT_EQ(o.status, 0);
        EXPECT_EQ(o.data, "hello 0123456789");
        EXPECT_EQ(o.trailers, "X-One: 1\r\nX-Two:\t two \t\r\n\r\n");
        EXPECT_EQ(body.substr(o.at), "NEXT");
    }
}

TEST(chunked_decoder, hands_out_one_piece_of_data_per_call) {
    chunked_decoder d;
    std::string trailers;
    const std::string_view in = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    auto s = d.decode(in, trailers);
    EXPECT_EQ(s.data, "abc");
    EXPECT_EQ(s.used, 6u);
    s = d.decode(in.substr(6), trailers);
    EXPECT_EQ(s.data, "de");
    s = d.decode(in.substr(6 + s.used), trailers);
    EXPECT_TRUE(s.done);
    EXPECT_TRUE(d.done());
}

// Each case is refused by the byte that shows the fault: nothing after it is needed.
TEST(chunked_decoder, refuses_at_the_first_wrong_byte) {
    const struct {
        std::string_view in;
        std::size_t at; // bytes consumed, the wrong one included
    } cases[] = {
        {"x", 1},
        {"\r\n", 1}, // no size
        {";a\r\n", 1},
        {"-1\r\n", 1},
        {"1;a=\"abc\r", 9}, // a quoted string cannot hold the line's CR
        {"1;a=\"abc\"x", 10},
        {"1;\r", 3},
        {"1;a=\r", 5},
        {"1 \r", 3},
        {"1;a=\"\x01", 6},
        {"1\n", 2}, // bare LF
        {"1\rx", 3}, // bare CR
        {"1\r\nab", 5}, // data longer than its size
        {"1\r\na\rx", 6},
        {"10000000000000000\r\n", 17}, // over 64 bits
        {"0\r\n X: 1\r\n", 4}, // obs-fold
        {"0\r\nX : 1\r\n", 5},
        {"0\r\n: 1\r\n", 4},
        {"0\r\nX: a\x7f", 8},
        {"0\r\nX: a\n", 8},
        {"0\r\nHost: a\r", 11}, // a forbidden field: judged at its CR
        {"0\r\nContent-Type: a\r", 19},
        {"0\r\nX: 1\rx", 9},
        {"0\r\n\rx", 5},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(testing::PrintToString(std::string{c.in}));
        auto o = decode(c.in, 1);
        EXPECT_EQ(o.status, 400);
        EXPECT_EQ(o.at, c.at);
    }
}

TEST(chunked_decoder, chunk_sizes_count_against_max_body) {
    chunked_limits lim;
    lim.max_body = 10;
    EXPECT_TRUE(decode("5\r\n12345\r\n5\r\n12345\r\n0\r\n\r\n", 3, lim).done);
    auto o = decode("5\r\n12345\r\n6;x\r\n", 3, lim);
    EXPECT_EQ(o.status, 413);
    EXPECT_EQ(o.at, 12u); // at the end of the size, before its data
    EXPECT_EQ(o.data, "12345");
    EXPECT_EQ(decode("ffffffffffffffff\r\n", 4, lim).status, 413);
    EXPECT_EQ(decode("ffffffffffffffff\r\n").status, 0); // no limit: a size is only a size
}

TEST(chunked_decoder, extensions_count_over_the_whole_body) {
    const std::string ext = ";" + std::string(max_chunk_extension_bytes - 1, 'e');
    EXPECT_TRUE(decode("1" + ext + "\r\na\r\n0\r\n\r\n").done);
    auto o = decode("1" + ext + "e\r\n", 100);
    EXPECT_EQ(o.status, 413);
    EXPECT_EQ(o.at, 2 + max_chunk_extension_bytes); // the first byte over the limit
    const std::string half = ";" + std::string(max_chunk_extension_bytes / 2, 'e');
    EXPECT_EQ(decode("1" + half + "\r\na\r\n0" + half + "\r\n\r\n").status, 413);
}

TEST(chunked_decoder, trailer_section_is_held_to_its_limits) {
    chunked_limits lim;
    lim.max_trailer_bytes = 16;
    lim.max_trailers = 2;
    EXPECT_TRUE(decode("0\r\nA: 1\r\nB: 2\r\n\r\n", 1, lim).done); // 14 bytes, 2 fields
    auto o = decode("0\r\nA: 1\r\nB: 2\r\nC", 1, lim);
    EXPECT_EQ(o.status, 431);
    EXPECT_EQ(o.at, 16u);
    o = decode("0\r\nA: 123456789012345", 1, lim);
    EXPECT_EQ(o.status, 431);
    EXPECT_EQ(o.at, 20u); // the 17th byte of the section
    EXPECT_EQ(o.trailers.size(), 16u);
}

} // namespace
