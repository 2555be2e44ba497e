// The WebSocket frame reader and writer (ws/detail/frame.hpp), the UTF-8 validator, close
// payloads and permessage-deflate's negotiation and codec, on byte-exact inputs.
#include "ws/detail/deflate.hpp"
#include "ws/detail/frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace nodus::ws::detail;

namespace {

// A client frame: `b0` (FIN, RSV, opcode), masked with 01 02 03 04; `len_bytes` forces the
// 16-bit (2) or 64-bit (8) length encoding of `payload.size()`.
std::string frame(std::uint8_t b0, std::string_view payload, int len_bytes = 0, bool masked = true) {
    std::string f(1, static_cast<char>(b0));
    std::uint64_t n = payload.size();
    std::uint8_t m = masked ? 0x80 : 0;
    if (len_bytes == 0 && n < 126) {
        f += static_cast<char>(m | n);
    } else if (len_bytes == 2 || (len_bytes == 0 && n <= 0xffff)) {
        f += static_cast<char>(m | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n);
    } else {
        f += static_cast<char>(m | 127);
        for (int i = 7; i >= 0; --i) f += static_cast<char>(n >> (8 * i));
    }
    const char key[4] = {1, 2, 3, 4};
    if (masked) f.append(key, 4);
    for (std::size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ (masked ? key[i % 4] : 0));
    return f;
}

// Everything the reader reports for `in` fed in pieces of `step` bytes (0: all at once),
// keeping unused bytes as a connection does: "text+fin:hi", "ping:x", "close 1000:bye", "error 1002".
std::vector<std::string> read_all(std::string in, std::size_t step = 0, std::uint64_t max = 1 << 20,
                                  bool deflate = false) {
    frame_reader r{max, deflate};
    std::vector<std::string> got;
    std::string pending;
    std::size_t fed = 0;
    while (fed < in.size()) {
        std::size_t k = step ? std::min(step, in.size() - fed) : in.size() - fed;
        pending.append(in, fed, k);
        fed += k;
        std::size_t at = 0;
        for (;;) {
            read_event ev;
            at += r.next(pending.data() + at, pending.size() - at, ev);
            if (ev.kind == read_event::need_more) break;
            if (ev.kind == read_event::error) {
                got.push_back("error " + std::to_string(ev.code));
                return got;
            }
            if (ev.kind == read_event::control) {
                if (ev.op == opcode::close)
                    got.push_back("close " + std::to_string(ev.code) + ":" + std::string(ev.reason));
                else got.push_back((ev.op == opcode::ping ? "ping:" : "pong:") + std::string(ev.bytes));
                continue;
            }
            std::string d = ev.op == opcode::text ? "text" : "binary";
            if (ev.compressed) d += "+z";
            if (ev.first) d += "+first";
            if (ev.fin) d += "+fin";
            // Pieces of one message are joined, so that splitting the input does not show.
            if (!ev.first && !got.empty() && got.back().rfind(d.substr(0, 4), 0) == 0 &&
                got.back().find("+fin") == std::string::npos) {
                auto colon = got.back().find(':');
                got.back() = got.back().substr(0, colon) + (ev.fin ? "+fin" : "") + got.back().substr(colon);
                got.back() += std::string(ev.bytes);
            } else {
                got.push_back(d + ":" + std::string(ev.bytes));
            }
        }
        pending.erase(0, at);
    }
    return got;
}

using events = std::vector<std::string>;

} // namespace

TEST(ws_frame, masked_text_and_binary_messages) {
    EXPECT_EQ(read_all(frame(0x81, "hi")), events{"text+first+fin:hi"});
    EXPECT_EQ(read_all(frame(0x82, std::string("\0\xff", 2))),
              events{std::string("binary+first+fin:\0\xff", 19)});
    EXPECT_EQ(read_all(frame(0x81, "")), events{"text+first+fin:"});
    std::string big(70000, 'x');
    EXPECT_EQ(read_all(frame(0x82, big)), events{"binary+first+fin:" + big});
    // Byte by byte: the header waits for its last byte, the payload comes in pieces.
    EXPECT_EQ(read_all(frame(0x81, "hello there") + frame(0x89, "p"), 1),
              (events{"text+first+fin:hello there", "ping:p"}));
    EXPECT_EQ(read_all(frame(0x82, big), 4093), events{"binary+first+fin:" + big});
}

TEST(ws_frame, header_violations_are_1002) {
    EXPECT_EQ(read_all(frame(0x81, "hi", 0, false)), events{"error 1002"}) << "unmasked";
    EXPECT_EQ(read_all(frame(0xc1, "hi")), events{"error 1002"}) << "RSV1 without an extension";
    EXPECT_EQ(read_all(frame(0xa1, "hi")), events{"error 1002"}) << "RSV2";
    EXPECT_EQ(read_all(frame(0x91, "hi")), events{"error 1002"}) << "RSV3";
    for (std::uint8_t op : {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf})
        EXPECT_EQ(read_all(frame(0x80 | op, "")), events{"error 1002"}) << "opcode " << int(op);
    // A 126 length field carrying 125, a 127 one carrying 65535: not the minimal encoding.
    EXPECT_EQ(read_all(frame(0x81, std::string(125, 'a'), 2)), events{"error 1002"});
    EXPECT_EQ(read_all(frame(0x81, std::string(65535, 'a'), 8)), events{"error 1002"});
    // A 64-bit length with its top bit set, refused before any payload.
    std::string top("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04", 14);
    EXPECT_EQ(read_all(top), events{"error 1002"});
}

TEST(ws_frame, control_frames) {
    EXPECT_EQ(read_all(frame(0x89, std::string(125, 'p'))), events{"ping:" + std::string(125, 'p')});
    EXPECT_EQ(read_all(frame(0x89, std::string(126, 'p'))), events{"error 1002"}) << "over 125 bytes";
    EXPECT_EQ(read_all(frame(0x09, "p")), events{"error 1002"}) << "fragmented";
    EXPECT_EQ(read_all(frame(0xc9, "p"), 0, 1 << 20, true), events{"error 1002"}) << "RSV1 on a ping";
    EXPECT_EQ(read_all(frame(0x8a, "")), events{"pong:"});
}

TEST(ws_frame, fragmentation_rules) {
    // Fragments are one message; a ping between them is answered in between.
    EXPECT_EQ(read_all(frame(0x01, "ab") + frame(0x89, "x") + frame(0x00, "cd") + frame(0x80, "ef")),
              (events{"text+first:ab", "ping:x", "text+fin:cdef"}));
    EXPECT_EQ(read_all(frame(0x80, "cd")), events{"error 1002"}) << "continuation without a message";
    EXPECT_EQ(read_all(frame(0x01, "ab") + frame(0x81, "cd")), (events{"text+first:ab", "error 1002"}))
        << "a new message inside a fragmented one";
    // With permessage-deflate, RSV1 marks the first frame only.
    EXPECT_EQ(read_all(frame(0x41, "ab") + frame(0x80, "cd"), 0, 1 << 20, true),
              (events{"text+z+first+fin:abcd"}));
    EXPECT_EQ(read_all(frame(0x41, "ab") + frame(0xc0, "cd"), 0, 1 << 20, true),
              (events{"text+z+first:ab", "error 1002"}));
    // Empty fragments are allowed.
    EXPECT_EQ(read_all(frame(0x02, "") + frame(0x00, "") + frame(0x80, "z")), (events{"binary+first+fin:z"}));
}

TEST(ws_frame, utf8_of_text_across_frames) {
    // "é" (C3 A9) split between two frames, and between reads.
    EXPECT_EQ(read_all(frame(0x01, "caf\xc3") + frame(0x80, "\xa9!")),
              (events{"text+first+fin:caf\xc3\xa9!"}));
    EXPECT_EQ(read_all(frame(0x01, "caf\xc3") + frame(0x80, "\xa9!"), 3),
              (events{"text+first+fin:caf\xc3\xa9!"}));
    // A message may not end inside a sequence, and a bad byte fails at once, before FIN.
    EXPECT_EQ(read_all(frame(0x81, "caf\xc3")), events{"error 1007"});
    EXPECT_EQ(read_all(frame(0x01, "bad \xc3\x28")), events{"error 1007"});
    // Binary is not checked; neither is compressed text before it is inflated.
    EXPECT_EQ(read_all(frame(0x82, "\xc3\x28")), events{"binary+first+fin:\xc3\x28"});
    EXPECT_EQ(read_all(frame(0xc1, "\xc3\x28"), 0, 1 << 20, true), events{"text+z+first+fin:\xc3\x28"});
}

TEST(ws_frame, message_size_limit_is_1009) {
    EXPECT_EQ(read_all(frame(0x82, std::string(1000, 'a')), 0, 1000),
              events{"binary+first+fin:" + std::string(1000, 'a')});
    EXPECT_EQ(read_all(frame(0x82, std::string(1001, 'a')), 0, 1000), events{"error 1009"});
    // Counted over the fragments, refused at the header that passes it.
    EXPECT_EQ(read_all(frame(0x02, std::string(600, 'a')) + frame(0x80, std::string(600, 'a')), 0, 1000),
              (events{"binary+first:" + std::string(600, 'a'), "error 1009"}));
}

TEST(ws_frame, close_payloads) {
    auto close = [](std::uint16_t code, std::string reason = {}) {
        std::string p{static_cast<char>(code >> 8), static_cast<char>(code)};
        return frame(0x88, p + reason);
    };
    EXPECT_EQ(read_all(frame(0x88, "")), events{"close 1005:"}) << "no code: reported as 1005";
    EXPECT_EQ(read_all(frame(0x88, "\x03")), events{"error 1002"}) << "one byte";
    EXPECT_EQ(read_all(close(1000, "bye")), events{"close 1000:bye"});
    for (std::uint16_t ok :
         {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999})
        EXPECT_EQ(read_all(close(ok)), events{"close " + std::to_string(ok) + ":"}) << ok;
    for (std::uint16_t bad : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535})
        EXPECT_EQ(read_all(close(bad)), events{"error 1002"}) << bad;
    EXPECT_EQ(read_all(close(1000, "\xc3\x28")), events{"error 1007"}) << "reason not UTF-8";
    EXPECT_EQ(read_all(close(1000, "\xc3")), events{"error 1007"}) << "reason ends inside a sequence";
}

TEST(ws_frame, utf8_validator) {
    EXPECT_TRUE(valid_utf8("plain ASCII, longer than eight bytes"));
    EXPECT_TRUE(valid_utf8("\xf0\x9f\x98\x80 \xe2\x82\xac \xc2\xa9 \xf4\x8f\xbf\xbf"));
    for (std::string bad :
         {"\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xf0\x8f\xbf\xbf",
          "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\x80", "\xe2\x82"})
        EXPECT_FALSE(valid_utf8(bad)) << testing::PrintToString(bad);
    // A bad byte after the 8-byte ASCII fast path, and after a partial word.
    EXPECT_FALSE(valid_utf8("0123456789abc\xff"));
    EXPECT_FALSE(valid_utf8("01234567\x80"));
    utf8_validator v;
    EXPECT_TRUE(v.feed("\xf0\x9f", 2));
    EXPECT_FALSE(v.complete());
    EXPECT_TRUE(v.feed("\x98", 1));
    EXPECT_TRUE(v.feed("\x80", 1));
    EXPECT_TRUE(v.complete());
}

TEST(ws_frame, unmask_at_any_offset) {
    const std::uint8_t key[4] = {0x11, 0x22, 0x33, 0x44};
    std::string plain(37, 'q');
    for (std::size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<char>(i * 7);
    std::string masked = plain;
    unmask(masked.data(), masked.size(), key, 0);
    for (std::size_t split = 0; split <= masked.size(); ++split) {
        std::string m = masked;
        unmask(m.data(), split, key, 0);
        unmask(m.data() + split, m.size() - split, key, split & 3);
        EXPECT_EQ(m, plain) << split;
    }
}

TEST(ws_frame, server_headers_are_unmasked_and_minimal) {
    char h[10];
    EXPECT_EQ(std::string(h, write_header(h, opcode::text, 0)), std::string("\x81\x00", 2));
    EXPECT_EQ(std::string(h, write_header(h, opcode::binary, 125)), "\x82\x7d");
    EXPECT_EQ(std::string(h, write_header(h, opcode::text, 126)), std::string("\x81\x7e\x00\x7e", 4));
    EXPECT_EQ(std::string(h, write_header(h, opcode::text, 65535)), "\x81\x7e\xff\xff");
    EXPECT_EQ(std::string(h, write_header(h, opcode::text, 65536, true)),
              std::string("\xc1\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
    EXPECT_EQ(std::string(h, write_header(h, opcode::close, 2)), "\x88\x02");
}

TEST(ws_deflate, negotiation_as_beast_did) {
    deflate_config c;
    EXPECT_EQ(negotiate_deflate("permessage-deflate; client_max_window_bits", 10, false, c),
              "permessage-deflate; server_max_window_bits=10; client_max_window_bits=10");
    EXPECT_EQ(c.server_bits, 10);
    EXPECT_EQ(c.client_bits, 10);
    // Without client_max_window_bits the client may use 32 KiB: declined below 15 bits.
    EXPECT_EQ(negotiate_deflate("permessage-deflate", 10, false, c), "");
    EXPECT_EQ(negotiate_deflate("permessage-deflate", 15, false, c), "permessage-deflate");
    EXPECT_EQ(negotiate_deflate("permessage-deflate; client_max_window_bits=9; server_max_window_bits=12", 10,
                                false, c),
              "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9");
    EXPECT_EQ(negotiate_deflate("permessage-deflate; server_no_context_takeover; client_max_window_bits", 12,
                                false, c),
              "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; "
              "client_max_window_bits=12");
    EXPECT_EQ(negotiate_deflate("permessage-deflate; client_max_window_bits", 10, true, c),
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
              "server_max_window_bits=10; client_max_window_bits=10");
    // Bad offers are skipped; a later acceptable one is taken.
    EXPECT_EQ(negotiate_deflate("permessage-deflate; server_max_window_bits=8; client_max_window_bits, "
                                "permessage-deflate; foo, permessage-deflate; client_max_window_bits=16, "
                                "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=\"11\"",
                                10, false, c),
              "permessage-deflate; server_max_window_bits=10; client_max_window_bits=10");
    EXPECT_EQ(
        negotiate_deflate("permessage-deflate; client_max_window_bits; client_max_window_bits", 10, false, c),
        "");
    EXPECT_EQ(
        negotiate_deflate("permessage-deflate; server_max_window_bits; client_max_window_bits", 10, false, c),
        "");
}

TEST(ws_deflate, messages_round_trip_and_bad_data_is_refused) {
    deflate_config cfg; // both sides 15 bits, context kept
    deflate_codec ours{cfg}, peer{cfg};
    // An empty message after another: zlib writes nothing for it unless told otherwise.
    for (std::string text :
         {std::string("hello hello hello"), std::string(), std::string(), std::string(100000, 'x')}) {
        std::string z;
        peer.deflate(text, z);
        std::string out;
        // In two pieces, as frames may split a message.
        ASSERT_EQ(ours.inflate(std::string_view(z).substr(0, z.size() / 2), false, out, 1 << 20), 0);
        ASSERT_EQ(ours.inflate(std::string_view(z).substr(z.size() / 2), true, out, 1 << 20), 0);
        EXPECT_EQ(out, text);
    }
    std::string z, out;
    peer.deflate(std::string(5000, 'y'), z);
    EXPECT_EQ(ours.inflate(z, true, out, 4000), 1009) << "inflated past the limit";
    deflate_codec fresh{cfg};
    out.clear();
    EXPECT_EQ(fresh.inflate("\xff\xff\xff\xff", true, out, 1 << 20), 1007);
}

TEST(ws_deflate, no_context_takeover_frees_the_streams_between_messages) {
    deflate_config cfg;
    cfg.server_no_context_takeover = cfg.client_no_context_takeover = true;
    deflate_codec c{cfg};
    std::string z, out;
    c.deflate("abcabcabc", z);
    EXPECT_TRUE(c.holds_memory());
    c.release_idle();
    EXPECT_FALSE(c.holds_memory());
    ASSERT_EQ(c.inflate(z, true, out, 100), 0);
    EXPECT_EQ(out, "abcabcabc");
    deflate_config kept; // with context takeover the window must stay
    deflate_codec k{kept};
    k.deflate("abc", z);
    k.release_idle();
    EXPECT_TRUE(k.holds_memory());
}
