// The response's header lines and phase, without a connection.
#include "http/detail/response_state.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using nodus::detail::framing;
using nodus::detail::response_phase;
using nodus::detail::response_state;

TEST(response_state, names_compare_case_insensitively) {
    response_state r;
    EXPECT_TRUE(r.set("X-Token", "one"));
    EXPECT_TRUE(r.set("x-token", "two"));
    EXPECT_EQ(r.get("X-TOKEN"), "two");
    EXPECT_EQ(r.lines(), "x-token: two\r\n");
    EXPECT_TRUE(r.append("X-Token", "three"));
    EXPECT_EQ(r.get("x-token"), "two");
    EXPECT_TRUE(r.remove("X-TOKEN"));
    EXPECT_EQ(r.lines(), "");
    EXPECT_FALSE(r.remove("X-Token"));
    EXPECT_EQ(r.get("X-Token"), "");
}

TEST(response_state, connection_close_is_a_case_insensitive_token) {
    for (const char* v : {"close", "Close", "CLOSE", "keep-alive, Close"}) {
        response_state r;
        EXPECT_TRUE(r.set("Connection", v));
        EXPECT_TRUE(r.wants_close()) << v;
        EXPECT_EQ(r.lines(), "") << v; // the pipeline writes Connection itself
    }
    response_state r;
    r.set("connection", "keep-alive");
    EXPECT_FALSE(r.wants_close());
}

TEST(response_state, content_length_is_declared_not_stored) {
    response_state r;
    EXPECT_TRUE(r.set("content-length", "42"));
    EXPECT_EQ(r.declared_length(), 42u);
    EXPECT_EQ(r.lines(), "");
    EXPECT_FALSE(r.set("Content-Length", "4x"));
    EXPECT_FALSE(r.set("Content-Length", ""));
    EXPECT_FALSE(r.set("Content-Length", "12345678901234567890"));
    EXPECT_EQ(r.declared_length(), 42u);
    EXPECT_TRUE(r.remove("Content-Length"));
    EXPECT_FALSE(r.declared_length());
}

TEST(response_state, framing_and_invalid_fields_are_refused) {
    response_state r;
    EXPECT_FALSE(r.set("Transfer-Encoding", "chunked"));
    EXPECT_FALSE(r.set("transfer-encoding", "gzip"));
    EXPECT_FALSE(r.set("Bad Name", "x"));
    EXPECT_FALSE(r.set("X-Ok", "line\r\nInjected: yes"));
    EXPECT_EQ(r.lines(), "");
}

namespace {
// RFC 9110 5.6.2 tchar and 5.5 field-value bytes, a byte at a time: what set must agree with.
bool is_tchar(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
bool is_value_byte(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }
} // namespace

// set and append check names and values several bytes per step: every byte at every place of
// names and values whose lengths reach past one step, two steps and the built line's room.
TEST(response_state, every_byte_at_every_place_is_checked) {
    int refused = 0;
    for (std::size_t len : {1u, 2u, 14u, 15u, 16u, 17u, 31u, 32u, 33u}) {
        for (std::size_t at = 0; at < len; ++at) {
            for (unsigned c = 0; c < 256; ++c) {
                std::string name(len, 'X');
                name[at] = static_cast<char>(c);
                response_state r;
                const bool ok = r.set(name, "v");
                ASSERT_EQ(ok, is_tchar(static_cast<unsigned char>(c))) << "name " << len << " at " << at << " byte " << c;
                refused += !ok;
            }
        }
    }
    for (std::size_t name_len : {1u, 4u, 12u, 13u, 14u, 15u}) {
        for (std::size_t len : {1u, 2u, 10u, 11u, 12u, 13u, 16u, 27u, 28u, 29u, 45u, 236u, 237u, 250u, 251u, 252u, 253u, 300u}) {
            for (std::size_t at = 0; at < len; ++at) {
                for (unsigned c : {0u, 9u, 10u, 13u, 31u, 32u, 65u, 126u, 127u, 128u, 255u}) {
                    std::string value(len, 'v');
                    value[at] = static_cast<char>(c);
                    response_state r;
                    const std::string name(name_len, 'N');
                    const bool ok = r.append(name, value);
                    const bool want = is_value_byte(static_cast<unsigned char>(c));
                    ASSERT_EQ(ok, want) << "value " << len << " at " << at << " byte " << c;
                    refused += !ok;
                    if (ok) {
                        ASSERT_EQ(r.lines(), name + ": " + value + "\r\n");
                    }
                }
            }
        }
    }
    EXPECT_GT(refused, 0);
    response_state r;
    EXPECT_FALSE(r.set("", "v"));
    EXPECT_TRUE(r.set("X", ""));
    EXPECT_EQ(r.lines(), "X: \r\n");
}

TEST(response_state, date_and_server_are_noted) {
    response_state r;
    r.set("date", "Thu, 01 Jan 2026 00:00:00 GMT");
    r.set("SERVER", "mine");
    EXPECT_TRUE(r.has_date());
    EXPECT_TRUE(r.has_server());
    r.remove("Date");
    EXPECT_FALSE(r.has_date());
}

TEST(response_state, nothing_changes_once_the_head_is_sent) {
    response_state r;
    EXPECT_TRUE(r.set_status(404));
    EXPECT_FALSE(r.set_status(99));
    EXPECT_FALSE(r.set_status(1000));
    r.mark_head_sent(framing::chunked);
    EXPECT_EQ(r.phase(), response_phase::head_sent);
    EXPECT_FALSE(r.set_status(200));
    EXPECT_FALSE(r.set("X-Late", "1"));
    EXPECT_FALSE(r.remove("X-Late"));
    EXPECT_EQ(r.status(), 404);
    EXPECT_EQ(r.body_framing(), framing::chunked);
    r.mark_ended();
    EXPECT_TRUE(r.ended());
    EXPECT_TRUE(r.head_sent());
    EXPECT_STREQ(to_string(r.phase()), "ended");
}

// Lookups skip the lines when no stored name can match (a bit per length and first letter):
// names that share a bit, names set in another case, and names that share only a length are
// all still told apart.
TEST(response_state, lookups_find_every_stored_name_and_only_those) {
    response_state r;
    EXPECT_EQ(r.get("X-Request-Id"), "");
    EXPECT_FALSE(r.remove("X-Request-Id"));
    EXPECT_TRUE(r.set("Content-Type", "text/plain")); // the same length as X-Request-Id
    EXPECT_EQ(r.get("X-Request-Id"), "");
    EXPECT_TRUE(r.append("x-request-iD", "abc"));
    EXPECT_EQ(r.get("X-REQUEST-ID"), "abc");
    EXPECT_TRUE(r.set("X-Request-Ie", "other")); // the same bit as X-Request-Id
    EXPECT_EQ(r.get("x-request-id"), "abc");
    EXPECT_EQ(r.get("X-Request-IE"), "other");
    EXPECT_EQ(r.get("X-Request-If"), "");
    EXPECT_TRUE(r.remove("X-Request-Id"));
    EXPECT_EQ(r.get("X-Request-Id"), "");
    EXPECT_EQ(r.get("X-Request-Ie"), "other");
    EXPECT_EQ(r.lines(), "Content-Type: text/plain\r\nX-Request-Ie: other\r\n");
    EXPECT_TRUE(r.set("x-request-ie", "again")); // set replaces whatever the case
    EXPECT_EQ(r.lines(), "Content-Type: text/plain\r\nx-request-ie: again\r\n");
    r.prepare_error(500);
    EXPECT_EQ(r.get("X-Request-Ie"), "");
    EXPECT_EQ(r.get("content-type"), "text/plain");
    r.reset();
    EXPECT_EQ(r.get("Content-Type"), "");
    EXPECT_TRUE(r.set("1-digit-first", "v"));
    EXPECT_EQ(r.get("1-DIGIT-FIRST"), "v");
    EXPECT_EQ(r.get(""), "");
    response_state e; // an error answer's own Content-Type, with no line set before
    e.prepare_error(404, "text/html");
    EXPECT_EQ(e.get("Content-Type"), "text/html");
    EXPECT_TRUE(e.set("content-type", "text/plain"));
    EXPECT_EQ(e.lines(), "content-type: text/plain\r\n");
}

TEST(response_state, error_answer_replaces_the_fields) {
    response_state r;
    r.set("X-A", "1");
    r.set("Content-Length", "3");
    r.prepare_error(413);
    EXPECT_EQ(r.status(), 413);
    EXPECT_EQ(r.lines(), "Content-Type: text/plain\r\n");
    EXPECT_FALSE(r.declared_length());
    EXPECT_TRUE(r.wants_close());
    response_state s;
    s.prepare_error(404);
    EXPECT_FALSE(s.wants_close());
}

TEST(response_state, drain_fires_only_after_a_refused_write) {
    response_state r;
    int drains = 0;
    r.on_drain([&] { ++drains; });
    EXPECT_FALSE(r.take_drain());
    r.set_need_drain();
    auto fn = r.take_drain();
    ASSERT_TRUE(fn);
    fn();
    EXPECT_FALSE(r.take_drain());
    EXPECT_EQ(drains, 1);
}

TEST(response_state, close_callback_runs_once_and_late_ones_at_once) {
    response_state r;
    int closes = 0;
    r.on_close([&] { ++closes; });
    r.abort();
    EXPECT_TRUE(r.aborted());
    EXPECT_EQ(closes, 1);
    r.on_close([&] { ++closes; });
    EXPECT_EQ(closes, 2);
}
