#include "text/detail/char_class.hpp"
#include "text/detail/scan.hpp"
#include "text/detail/uri.hpp"

#include <cctype>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace nodus::detail {
namespace {

bool in(std::string_view set, int c) { return set.find(static_cast<char>(c)) != std::string_view::npos; }

bool alnum(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Each class against its ABNF, byte by byte.
TEST(char_class, classes_match_their_grammar) {
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        const bool vchar = c >= 0x21 && c <= 0x7e;
        SCOPED_TRACE(c);
        EXPECT_EQ(is_tchar(ch), alnum(c) || in("!#$%&'*+-.^_`|~", c));
        EXPECT_EQ(in_class(ch, char_class::target), vchar && c != '#');
        EXPECT_EQ(in_class(ch, char_class::field_value), vchar || c == ' ' || c == '\t' || c >= 0x80);
        EXPECT_EQ(in_class(ch, char_class::reg_name), alnum(c) || in("-._~!$&'()*+;=", c));
        EXPECT_EQ(in_class(ch, char_class::digit), c >= '0' && c <= '9');
        EXPECT_EQ(in_class(ch, char_class::hexdig), std::isxdigit(c) != 0);
        EXPECT_EQ(in_class(ch, char_class::scheme), alnum(c) || in("+-.", c));
        EXPECT_EQ(in_class(ch, char_class::qdtext),
                  c == '\t' || c == ' ' || (vchar && c != '"' && c != '\\') || c >= 0x80);
    }
}

TEST(char_class, tokens_and_ows) {
    EXPECT_TRUE(is_token("GET"));
    EXPECT_TRUE(is_token("X-Forwarded-For"));
    EXPECT_FALSE(is_token(""));
    EXPECT_FALSE(is_token("a b"));
    EXPECT_FALSE(is_token("a:b"));
    EXPECT_TRUE(all_in_class("", char_class::digit));
    EXPECT_EQ(trim_ows(" \t a b\t "), "a b");
    EXPECT_EQ(trim_ows(" \t "), "");
}

// iequals against the C locale's tolower, for every pair of bytes.
TEST(char_class, iequals_every_byte_pair) {
    for (int a = 0; a < 256; ++a)
        for (int b = 0; b < 256; ++b) {
            const char x = static_cast<char>(a), y = static_cast<char>(b);
            const bool want = a < 0x80 && b < 0x80 ? std::tolower(a) == std::tolower(b) : a == b;
            ASSERT_EQ(iequals({&x, 1}, {&y, 1}), want) << a << " " << b;
        }
}

TEST(char_class, iequals_strings) {
    EXPECT_TRUE(iequals("Content-Length", "content-length"));
    EXPECT_TRUE(iequals("HOST", "host"));
    EXPECT_TRUE(iequals("", ""));
    EXPECT_FALSE(iequals("host", "hosts"));
    EXPECT_FALSE(iequals("host", "hpst"));
    // Bytes one 0x20 apart that are not letters stay different.
    EXPECT_FALSE(iequals("@", "`"));
    EXPECT_FALSE(iequals("[", "{"));
    EXPECT_FALSE(iequals("\x01", "!"));
    static_assert(iequals("Upgrade", "upgrade"));
}

} // namespace
} // namespace nodus::detail

TEST(char_class, list_has_token) {
    using nodus::detail::list_has_token;
    EXPECT_TRUE(list_has_token("close", "close"));
    EXPECT_TRUE(list_has_token("Close", "close"));
    EXPECT_TRUE(list_has_token("keep-alive, CLOSE", "close"));
    EXPECT_TRUE(list_has_token(" ,\tclose\t, x", "close"));
    EXPECT_FALSE(list_has_token("closed", "close"));
    EXPECT_FALSE(list_has_token("x-close, clos", "close"));
    EXPECT_FALSE(list_has_token("", "close"));
    EXPECT_FALSE(list_has_token(",,", "close"));
    // A view that ends right after a token differing only in case: nothing past it is read
    // (ASan checks this; the view is cut from a larger string whose next byte differs).
    const std::string storage = "keep-alive, Closex";
    EXPECT_TRUE(list_has_token(std::string_view(storage).substr(0, storage.size() - 1), "close"));
}

// The vector scans against the byte-by-byte class test: every byte value at every position
// of runs of every length up to 40, so each lane of the 16-byte steps and each tail is hit;
// the run starts after 0, 5 or 17 bytes that are in no class, which the overlapping last
// step reads and must ignore.
TEST(scan, runs_end_at_the_first_byte_outside_the_class) {
    using namespace nodus::detail;
    struct kind {
        std::uint8_t k;
        const char* (*skip)(const char*, const char*, const char*);
    };
    const kind kinds[] = {
        {char_class::field_value,
         [](const char* b, const char* p, const char* e) { return skip_field_value(b, p, e); }},
        {char_class::target,
         [](const char* b, const char* p, const char* e) { return skip_target(b, p, e); }},
        {char_class::tchar, [](const char* b, const char* p, const char* e) { return skip_token(b, p, e); }},
        {char_class::tchar,
         [](const char*, const char* p, const char* e) { return skip_class(p, e, char_class::tchar); }},
    };
    for (const auto& kd : kinds) {
        for (std::size_t lead : {0, 5, 17}) {
            for (std::size_t len = 0; len <= 40; ++len) {
                for (std::size_t at = 0; at < len; ++at) {
                    for (int c = 0; c < 256; ++c) {
                        std::string s(lead, '\0');
                        s.append(len, 'a');
                        s[lead + at] = static_cast<char>(c);
                        std::size_t want = lead;
                        while (want < s.size() && in_class(s[want], kd.k)) ++want;
                        const char* got = kd.skip(s.data(), s.data() + lead, s.data() + s.size());
                        ASSERT_EQ(static_cast<std::size_t>(got - s.data()), want)
                            << "class " << int(kd.k) << " byte " << c << " at " << at << " of " << len
                            << " after " << lead;
                    }
                }
            }
        }
    }
    // Line breaks: the first CR or LF, with line breaks before the start (which the
    // overlapping last step reads and must ignore).
    for (std::size_t lead : {0, 5, 17}) {
        for (std::size_t len = 0; len <= 40; ++len) {
            for (std::size_t at = 0; at < len; ++at) {
                for (int c = 0; c < 256; ++c) {
                    std::string s(lead, '\n');
                    s.append(len, 'a');
                    s[lead + at] = static_cast<char>(c);
                    const auto want = s.find_first_of("\r\n", lead);
                    const char* got = find_line_break(s.data(), s.data() + lead, s.data() + s.size());
                    ASSERT_EQ(static_cast<std::size_t>(got - s.data()), want == std::string::npos ? s.size() : want)
                        << "byte " << c << " at " << at << " of " << len << " after " << lead;
                }
            }
        }
    }
    // Rare tchars between the letters: the table decides after each vector stop.
    const std::string rare = "x_y.z!a#b$c%d&e'f*g+h^i`j|k~l:rest of the line";
    EXPECT_EQ(skip_token(rare.data(), rare.data(), rare.data() + rare.size()) - rare.data(),
              static_cast<std::ptrdiff_t>(rare.find(':')));
    EXPECT_TRUE(is_field_value(""));
    EXPECT_TRUE(is_field_value("text/plain; charset=\xe9\t x"));
    EXPECT_FALSE(is_field_value(std::string("0123456789abcdef0123\x7f", 21)));
    for (std::size_t len = 0; len <= 40; ++len) {
        for (int c = 0; c < 256; ++c) {
            std::string s(len, 'a');
            if (len) s[len / 3] = static_cast<char>(c);
            ASSERT_EQ(is_token_fast(s), is_token(s)) << len << " " << c;
        }
    }
    EXPECT_FALSE(is_token_fast(""));
    EXPECT_TRUE(is_token_fast("Content-Type"));
    EXPECT_FALSE(is_token_fast("Content-Type:"));
}

// The vector search for the end of a head against std::string_view::find, with the blank
// line (and decoys: lone CRLFs, CR CR LF) at every position of buffers up to 60 bytes.
TEST(scan, blank_line_is_found_where_find_finds_it) {
    using namespace nodus::detail;
    for (std::size_t len = 0; len <= 60; ++len) {
        for (std::size_t at = 0; at <= len; ++at) {
            std::string s(len, 'a');
            for (std::size_t i = 1; i + 2 < len; i += 7) s.replace(i, 2, "\r\n");
            if (at + 4 <= len) s.replace(at, 4, "\r\n\r\n");
            if (len > 3) s[len / 2] = '\r';
            const std::string_view v{s};
            const char* p = v.data();
            const char* q = find_blank_line(p, v.data() + v.size());
            const auto want = v.find("\r\n\r\n");
            if (q) {
                ASSERT_EQ(static_cast<std::size_t>(q - v.data()), want) << len << " " << at;
            } else {
                // Either every position was searched, or none (too short): then p is unmoved.
                if (p == v.data() + v.size()) ASSERT_EQ(want, std::string_view::npos) << len << " " << at;
                else ASSERT_TRUE(p == v.data() && len < 19) << len << " " << at;
            }
        }
    }
}

// token_is against iequals: every literal the strict check uses, compared with itself in
// mixed case, with every field-value byte put at every position, and with other lengths.
TEST(char_class, token_is_matches_iequals_for_field_text) {
    using namespace nodus::detail;
    const std::string_view lits[] = {"host",
                                     "expect",
                                     "upgrade",
                                     "connection",
                                     "proxy-connection",
                                     "content-length",
                                     "transfer-encoding",
                                     "chunked",
                                     "close",
                                     "keep-alive",
                                     "100-continue",
                                     "a",
                                     "ab",
                                     "abc"};
    for (auto lit : lits) {
        std::string upper{lit};
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        EXPECT_TRUE(token_is(upper, lit)) << lit;
        EXPECT_FALSE(token_is(std::string{lit} + "x", lit)) << lit;
        EXPECT_FALSE(token_is(lit.substr(1), lit)) << lit;
        for (std::size_t at = 0; at < lit.size(); ++at) {
            for (int c = 0; c < 256; ++c) {
                const bool field_byte = c == '\t' || (c >= 0x20 && c != 0x7f);
                if (!field_byte) continue;
                std::string s{lit};
                s[at] = static_cast<char>(c);
                ASSERT_EQ(token_is(s, lit), iequals(s, lit)) << lit << " byte " << c << " at " << at;
            }
        }
    }
}

TEST(uri, split_absolute_form) {
    using nodus::detail::absolute_form;
    using nodus::detail::split_absolute_form;
    const struct {
        std::string_view target;
        bool absolute;
        std::string_view authority, rest;
    } cases[] = {
        {"http://example.com/a?b", true, "example.com", "/a?b"},
        {"http://example.com", true, "example.com", ""},
        {"http://example.com?q", true, "example.com", "?q"},
        {"HTTPS://[::1]:443/", true, "[::1]:443", "/"},
        {"a+b-c.d://h", true, "h", ""},
        {"http:///a", true, "", "/a"}, // an empty authority: valid_host refuses it
        {"/a", false, {}, {}},
        {"*", false, {}, {}},
        {"", false, {}, {}},
        {"example.com:80", false, {}, {}},
        {"1http://h/", false, {}, {}},
        {"http:/h/", false, {}, {}},
        {"ht_tp://h/", false, {}, {}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.target);
        absolute_form parts;
        ASSERT_EQ(split_absolute_form(c.target, parts), c.absolute);
        if (!c.absolute) continue;
        EXPECT_EQ(parts.authority, c.authority);
        EXPECT_EQ(parts.path_and_query, c.rest);
    }
}
