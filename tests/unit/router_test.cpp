#include "router/detail/route_trie.hpp"

#include <array>
#include <deque>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace nodus::detail {
namespace {

using outcome = route_match::outcome;

struct result {
    outcome kind = outcome::not_found;
    std::uint32_t handler = route_target::none;
    std::map<std::string, std::string> params;
    std::string allow;
};

result find(const route_trie& t, std::string_view method, std::string_view path) {
    std::array<param, max_route_params> params;
    auto const m = t.match(method, path, params);
    result r{m.result, m.handler, {}, std::string{m.allow()}};
    for (std::size_t i = 0; i < m.param_count; ++i) r.params.emplace(params[i].name, params[i].value);
    return r;
}

std::uint32_t found(const route_trie& t, std::string_view method, std::string_view path) {
    auto const r = find(t, method, path);
    return r.kind == outcome::found ? r.handler : route_target::none;
}

constexpr auto none = route_target::none;

TEST(route_trie, literal_routes) {
    route_trie t;
    t.add("GET", "/", 0);
    t.add("GET", "/users", 1);
    t.add("GET", "/users/list", 2);
    EXPECT_EQ(found(t, "GET", "/"), 0u);
    EXPECT_EQ(found(t, "GET", "/users"), 1u);
    EXPECT_EQ(found(t, "GET", "/users/list"), 2u);
    EXPECT_EQ(find(t, "GET", "/user").kind, outcome::not_found);
    EXPECT_EQ(find(t, "GET", "/users/list/x").kind, outcome::not_found);
    EXPECT_EQ(find(t, "GET", "/Users").kind, outcome::not_found);
    EXPECT_EQ(find(t, "GET", "").kind, outcome::not_found);
    EXPECT_EQ(find(t, "GET", "*").kind, outcome::not_found);
    EXPECT_EQ(t.size(), 3u);
}

TEST(route_trie, params) {
    route_trie t;
    t.add("GET", "/users/:id", 0);
    t.add("GET", "/users/:id/books/:book_id", 1);
    auto r = find(t, "GET", "/users/42");
    ASSERT_EQ(r.kind, outcome::found);
    EXPECT_EQ(r.handler, 0u);
    EXPECT_EQ(r.params, (std::map<std::string, std::string>{{"id", "42"}}));
    r = find(t, "GET", "/users/7/books/abc");
    EXPECT_EQ(r.handler, 1u);
    EXPECT_EQ(r.params, (std::map<std::string, std::string>{{"id", "7"}, {"book_id", "abc"}}));
    EXPECT_EQ(find(t, "GET", "/users").kind, outcome::not_found);
    EXPECT_EQ(find(t, "GET", "/users/7/books").kind, outcome::not_found);
}

TEST(route_trie, param_names_per_route) {
    route_trie t;
    t.add("GET", "/a/:id", 0);
    t.add("POST", "/a/:name", 1);
    EXPECT_EQ(find(t, "GET", "/a/x").params.at("id"), "x");
    EXPECT_EQ(find(t, "POST", "/a/x").params.at("name"), "x");
}

TEST(route_trie, wildcard_tail) {
    route_trie t;
    t.add("GET", "/files/*", 0);
    t.add("GET", "/u/:user/*", 1);
    auto r = find(t, "GET", "/files/a/b/c.txt");
    ASSERT_EQ(r.kind, outcome::found);
    EXPECT_EQ(r.params.at("*"), "a/b/c.txt");
    EXPECT_EQ(find(t, "GET", "/files/x").params.at("*"), "x");
    EXPECT_EQ(find(t, "GET", "/files").params.at("*"), "");
    EXPECT_EQ(find(t, "GET", "/files/").params.at("*"), "");
    EXPECT_EQ(find(t, "GET", "/files//x").params.at("*"), "/x");
    r = find(t, "GET", "/u/bob/x/y");
    EXPECT_EQ(r.params, (std::map<std::string, std::string>{{"user", "bob"}, {"*", "x/y"}}));
}

TEST(route_trie, priority_literal_param_wildcard) {
    route_trie t;
    t.add("GET", "/a/*", 2);
    t.add("GET", "/a/:x", 1);
    t.add("GET", "/a/b", 0);
    EXPECT_EQ(found(t, "GET", "/a/b"), 0u);
    EXPECT_EQ(found(t, "GET", "/a/c"), 1u);
    EXPECT_EQ(found(t, "GET", "/a/c/d"), 2u);
    EXPECT_EQ(found(t, "GET", "/a"), 2u);
}

TEST(route_trie, backtracking) {
    route_trie t;
    t.add("GET", "/a/:x/c", 0);
    t.add("GET", "/a/b/d", 1);
    t.add("GET", "/*", 2);
    EXPECT_EQ(found(t, "GET", "/a/b/d"), 1u);
    auto r = find(t, "GET", "/a/b/c");
    EXPECT_EQ(r.handler, 0u);
    EXPECT_EQ(r.params, (std::map<std::string, std::string>{{"x", "b"}}));
    r = find(t, "GET", "/a/b/e");
    EXPECT_EQ(r.handler, 2u);
    EXPECT_EQ(r.params, (std::map<std::string, std::string>{{"*", "a/b/e"}}));
}

TEST(route_trie, backtracking_by_method) {
    route_trie t;
    t.add("GET", "/a/b", 0);
    t.add("POST", "/a/:x", 1);
    EXPECT_EQ(found(t, "GET", "/a/b"), 0u);
    EXPECT_EQ(found(t, "POST", "/a/b"), 1u);
    auto const r = find(t, "DELETE", "/a/b");
    EXPECT_EQ(r.kind, outcome::method_not_allowed);
    EXPECT_EQ(r.allow, "GET, HEAD, POST, OPTIONS");
}

TEST(route_trie, method_not_allowed_lists_methods) {
    route_trie t;
    t.add("POST", "/x", 0);
    t.add("GET", "/x", 1);
    t.add("PROPFIND", "/x", 2);
    t.add("DELETE", "/x", 3);
    auto const r = find(t, "PUT", "/x");
    EXPECT_EQ(r.kind, outcome::method_not_allowed);
    EXPECT_EQ(r.allow, "GET, HEAD, POST, DELETE, OPTIONS, PROPFIND");
    EXPECT_EQ(found(t, "PROPFIND", "/x"), 2u);
    EXPECT_EQ(find(t, "MKCOL", "/x").kind, outcome::method_not_allowed);

    route_trie only_post;
    only_post.add("POST", "/p", 0);
    EXPECT_EQ(find(only_post, "GET", "/p").allow, "POST, OPTIONS");
    EXPECT_EQ(find(only_post, "HEAD", "/p").allow, "POST, OPTIONS");
}

TEST(route_trie, head_falls_back_to_get) {
    route_trie t;
    t.add("GET", "/g", 0);
    t.add("GET", "/h", 1);
    t.add("HEAD", "/h", 2);
    EXPECT_EQ(found(t, "HEAD", "/g"), 0u);
    EXPECT_EQ(found(t, "HEAD", "/h"), 2u);
    EXPECT_EQ(found(t, "GET", "/h"), 1u);
    EXPECT_EQ(find(t, "POST", "/g").allow, "GET, HEAD, OPTIONS");
}

TEST(route_trie, all_methods) {
    route_trie t;
    t.add("GET", "/x", 0);
    t.add_all("/x", 1);
    EXPECT_EQ(found(t, "GET", "/x"), 0u);
    EXPECT_EQ(found(t, "HEAD", "/x"), 0u);
    EXPECT_EQ(found(t, "POST", "/x"), 1u);
    EXPECT_EQ(found(t, "BREW", "/x"), 1u);
    EXPECT_THROW(t.add_all("/x/", 2), std::invalid_argument);
}

TEST(route_trie, trailing_slash) {
    route_trie t;
    t.add("GET", "/a", 0);
    t.add("GET", "/b/", 1);
    EXPECT_EQ(found(t, "GET", "/a/"), 0u);
    EXPECT_EQ(found(t, "GET", "/a"), 0u);
    EXPECT_EQ(found(t, "GET", "/b"), 1u);
    EXPECT_EQ(found(t, "GET", "/b/"), 1u);
    EXPECT_EQ(find(t, "GET", "/a//").kind, outcome::not_found);
    EXPECT_THROW(t.add("GET", "/a/", 2), std::invalid_argument);
}

TEST(route_trie, empty_segments_do_not_match) {
    route_trie t;
    t.add("GET", "/a/b", 0);
    t.add("GET", "/p/:x/q", 1);
    EXPECT_EQ(find(t, "GET", "//a/b").kind, outcome::not_found);
    EXPECT_EQ(find(t, "GET", "/a//b").kind, outcome::not_found);
    EXPECT_EQ(find(t, "GET", "/p//q").kind, outcome::not_found);
}

TEST(route_trie, matches_raw_path) {
    route_trie t;
    t.add("GET", "/a%20b", 0);
    t.add("GET", "/n/:name", 1);
    EXPECT_EQ(found(t, "GET", "/a%20b"), 0u);
    EXPECT_EQ(find(t, "GET", "/a b").kind, outcome::not_found);
    EXPECT_EQ(find(t, "GET", "/n/a%2Fb").params.at("name"), "a%2Fb");
}

TEST(route_trie, decodes_params_with_percent) {
    std::array<param, 3> p{{{"a", "x%20y"}, {"b", "plain+"}, {"c", "%zz%41%2f"}}};
    std::deque<std::string> kept;
    std::string_view const plain = p[1].value;
    decode_params(p, [&kept](std::string_view b) -> std::string_view { return kept.emplace_back(b); });
    EXPECT_EQ(p[0].value, "x y");
    EXPECT_EQ(p[1].value.data(), plain.data()) << "values without '%' are not copied";
    EXPECT_EQ(p[1].value, "plain+");
    EXPECT_EQ(p[2].value, "%zzA/");
    EXPECT_EQ(kept.size(), 2u);
}

TEST(route_trie, many_routes_with_distinct_prefixes) {
    route_trie t;
    for (std::uint32_t i = 0; i < 1000; ++i) {
        auto const s = std::to_string(i);
        t.add("GET", "/r" + s + "/items/:id", i);
        t.add("POST", "/r" + s + "/items", 1000 + i);
    }
    EXPECT_EQ(t.size(), 2000u);
    for (std::uint32_t i = 0; i < 1000; ++i) {
        auto const s = std::to_string(i);
        auto const r = find(t, "GET", "/r" + s + "/items/" + s);
        ASSERT_EQ(r.kind, outcome::found) << i;
        EXPECT_EQ(r.handler, i);
        EXPECT_EQ(r.params.at("id"), s);
        EXPECT_EQ(found(t, "POST", "/r" + s + "/items"), 1000 + i);
        EXPECT_EQ(find(t, "GET", "/r" + s + "/items").allow, "POST, OPTIONS");
    }
    EXPECT_EQ(find(t, "GET", "/r1000/items/1").kind, outcome::not_found);
}

TEST(route_trie, sixteen_params_allowed) {
    route_trie t;
    std::string pattern, path;
    for (int i = 0; i < 15; ++i) {
        pattern += "/:p" + std::to_string(i);
        path += "/v" + std::to_string(i);
    }
    pattern += "/*";
    path += "/rest/of/it";
    t.add("GET", pattern, 0);
    auto const r = find(t, "GET", path);
    ASSERT_EQ(r.kind, outcome::found);
    EXPECT_EQ(r.params.size(), 16u);
    EXPECT_EQ(r.params.at("p14"), "v14");
    EXPECT_EQ(r.params.at("*"), "rest/of/it");
}

TEST(route_trie, rejects_invalid_patterns) {
    route_trie t;
    std::string seventeen;
    for (int i = 0; i < 17; ++i) seventeen += "/:p" + std::to_string(i);
    std::initializer_list<std::string_view> const bad_patterns{
        "",          "a",     "users/:id", "/a/*/b", "/*/x", "/a/:", "/:id/:id",
        "/:id.json", "/a//b", "/a*",       "/a?b",   "/a b", "/a#b", seventeen};
    for (auto const bad : bad_patterns) EXPECT_THROW(t.add("GET", bad, 0), std::invalid_argument) << bad;
    EXPECT_THROW(t.add("", "/x", 0), std::invalid_argument);
    EXPECT_THROW(t.add("GE T", "/x", 0), std::invalid_argument);
    EXPECT_EQ(t.size(), 0u);
    EXPECT_EQ(find(t, "GET", "/a/x/b").kind, outcome::not_found) << "no trace of rejected routes";
}

TEST(route_trie, rejects_duplicates) {
    route_trie t;
    t.add("GET", "/a/:id", 0);
    EXPECT_THROW(t.add("GET", "/a/:other", 1), std::invalid_argument);
    EXPECT_THROW(t.add("GET", "/a/:id/", 1), std::invalid_argument);
    t.add("POST", "/a/:id", 1);
    t.add("CUSTOM", "/a/:id", 2);
    EXPECT_THROW(t.add("CUSTOM", "/a/:id", 3), std::invalid_argument);
    EXPECT_EQ(found(t, "GET", "/a/1"), 0u);
    EXPECT_EQ(t.size(), 3u);
}

TEST(route_trie, method_classification) {
    EXPECT_EQ(classify_method("GET"), known_method::get);
    EXPECT_EQ(classify_method("OPTIONS"), known_method::options);
    EXPECT_EQ(classify_method("get"), known_method::count);
    EXPECT_EQ(classify_method("GETX"), known_method::count);
}

} // namespace
} // namespace nodus::detail
