// libFuzzer driver for the router's segment trie (framework/src/router/detail/route_trie.hpp).
//
// Input, byte 0 selects the mode:
//   bit 7 clear: match against a fixed table of ~30 routes. Bits 0-3 pick the method from
//     a table; 15 takes the method from the input (bytes up to the first ' '). The rest of
//     the input is the path.
//   bit 7 set: build a fresh trie from the input. Lines ("\n"-separated) but the last are
//     "METHOD pattern" ("@ pattern": every method); malformed ones must be rejected with
//     std::invalid_argument and leave no trace. The last line is "METHOD path" to match.
//
// Every match is checked against a brute-force reference matcher (below), which encodes the
// documented rules: literal > :param > *, depth first with backtracking, one trailing '/'
// ignored, an empty segment matches only '*', '*' also matches an empty rest, HEAD falls back
// to GET, then to the route's every-method handler. Other invariants: no crash, at most 16
// parameters, every raw parameter value points into the path, names are the route's, decoded
// values are no longer than raw ones, and matching twice gives the same result.
#include "router/detail/route_trie.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using nodus::detail::route_match;
using nodus::detail::route_trie;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_router: invariant failed: %s\n", what);
        std::abort();
    }
}

// ------------------------------------------------------------------ reference matcher

enum kind : int { literal = 0, param = 1, wildcard = 2 };

struct ref_segment {
    kind k;
    std::string text; // literal text or parameter name ("*" for the wildcard)
};

struct ref_route {
    std::string method; // empty: every method
    std::vector<ref_segment> segs;
    std::uint32_t handler;
};

std::string_view strip(std::string_view p) {
    p.remove_prefix(1);
    if (!p.empty() && p.back() == '/') p.remove_suffix(1);
    return p;
}

std::vector<std::string_view> split(std::string_view rest) {
    std::vector<std::string_view> out;
    if (rest.empty()) return out;
    for (;;) {
        auto const slash = rest.find('/');
        out.push_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return out;
}

// Only called for patterns the trie accepted.
std::vector<ref_segment> parse(std::string_view pattern) {
    std::vector<ref_segment> out;
    for (auto s : split(strip(pattern))) {
        if (s == "*") out.push_back({wildcard, "*"});
        else if (s.front() == ':') out.push_back({param, std::string{s.substr(1)}});
        else out.push_back({literal, std::string{s}});
    }
    return out;
}

// The node a route lives on: kinds and literal texts (parameter names do not count).
std::string node_key(const std::vector<ref_segment>& segs) {
    std::string key;
    for (auto const& s : segs) {
        key += static_cast<char>('0' + s.k);
        if (s.k == literal) key += s.text;
        key += '\0';
    }
    return key;
}

struct ref_result {
    route_match::outcome result = route_match::outcome::not_found;
    const ref_route* route = nullptr;
    std::vector<std::string_view> values;
    std::vector<std::string> allowed_methods; // 405: methods of the matching nodes
};

// Does `segs` match the path segments `s` (the rest after stripping, `rest`)? Fills values.
bool ref_matches(const std::vector<ref_segment>& segs, std::string_view rest,
                 const std::vector<std::string_view>& s, std::vector<std::string_view>& values) {
    values.clear();
    for (std::size_t i = 0; i < segs.size(); ++i) {
        auto const& p = segs[i];
        if (p.k == wildcard) {
            // The rest of the path from segment i on (empty when the path has no more).
            if (i >= s.size()) {
                values.push_back({});
            } else {
                auto const begin = static_cast<std::size_t>(s[i].data() - rest.data());
                values.push_back(rest.substr(begin));
            }
            return true;
        }
        if (i >= s.size() || s[i].empty()) return false;
        if (p.k == literal && s[i] != p.text) return false;
        if (p.k == param) values.push_back(s[i]);
    }
    return segs.size() == s.size();
}

ref_result ref_match(const std::vector<ref_route>& routes, std::string_view method, std::string_view path) {
    ref_result out;
    if (path.empty() || path.front() != '/') return out;
    auto const rest = strip(path);
    auto const segs = split(rest);

    // Group by node, in depth-first order: lexicographic on kinds, a prefix first.
    std::map<std::string, std::vector<const ref_route*>> nodes;
    for (auto const& r : routes) nodes[node_key(r.segs)].push_back(&r);
    struct candidate {
        std::vector<int> order;
        std::vector<const ref_route*> routes;
        std::vector<std::string_view> values;
    };
    std::vector<candidate> cands;
    for (auto const& [key, rs] : nodes) {
        std::vector<std::string_view> values;
        if (!ref_matches(rs.front()->segs, rest, segs, values)) continue;
        candidate c;
        for (auto const& s : rs.front()->segs) c.order.push_back(s.k);
        c.routes = rs;
        c.values = values;
        cands.push_back(std::move(c));
    }
    std::sort(cands.begin(), cands.end(), [](auto const& a, auto const& b) {
        return std::lexicographical_compare(a.order.begin(), a.order.end(), b.order.begin(), b.order.end());
    });
    for (auto const& c : cands) {
        auto find = [&](std::string_view m) -> const ref_route* {
            for (auto const* r : c.routes)
                if (!r->method.empty() && r->method == m) return r;
            return nullptr;
        };
        const ref_route* hit = find(method);
        if (!hit && method == "HEAD") hit = find("GET");
        if (!hit)
            for (auto const* r : c.routes)
                if (r->method.empty()) hit = r;
        if (hit) {
            out.result = route_match::outcome::found;
            out.route = hit;
            out.values = c.values;
            return out;
        }
        for (auto const* r : c.routes) out.allowed_methods.push_back(r->method);
    }
    if (!cands.empty()) out.result = route_match::outcome::method_not_allowed;
    return out;
}

// ------------------------------------------------------------------ checks

void check_match(const route_trie& trie, const std::vector<ref_route>& routes, std::string_view method,
                 std::string_view path) {
    std::array<nodus::param, nodus::detail::max_route_params> params{};
    auto const m = trie.match(method, path, params);

    check(m.param_count <= nodus::detail::max_route_params, "param_count <= 16");
    if (m.result != route_match::outcome::found)
        check(m.param_count == 0 && m.handler == nodus::detail::route_target::none,
              "no handler nor params unless found");
    if (m.result == route_match::outcome::method_not_allowed)
        check(!m.allow().empty(), "405 has a non-empty Allow");

    for (std::size_t i = 0; i < m.param_count; ++i) {
        auto const v = params[i].value;
        check(v.empty() || (v.data() >= path.data() && v.data() + v.size() <= path.data() + path.size()),
              "raw param value is a slice of the path");
        check(!params[i].name.empty(), "param has a name");
    }

    // Deterministic.
    std::array<nodus::param, nodus::detail::max_route_params> again{};
    auto const m2 = trie.match(method, path, again);
    check(m2.result == m.result && m2.handler == m.handler && m2.param_count == m.param_count,
          "match is deterministic (result)");
    check(m2.allow() == m.allow(), "match is deterministic (Allow)");
    for (std::size_t i = 0; i < m.param_count; ++i)
        check(again[i].name == params[i].name && again[i].value.data() == params[i].value.data() &&
                  again[i].value.size() == params[i].value.size(),
              "match is deterministic (params)");

    // The reference.
    auto const ref = ref_match(routes, method, path);
    check(ref.result == m.result, "same outcome as the reference matcher");
    if (ref.result == route_match::outcome::found) {
        check(m.handler == ref.route->handler, "same handler as the reference matcher");
        check(m.param_count == ref.values.size(), "same param count as the reference");
        std::size_t j = 0;
        for (auto const& s : ref.route->segs) {
            if (s.k == literal) continue;
            check(params[j].name == s.text, "param names are the route's");
            check(params[j].value == ref.values[j], "param values match the reference");
            ++j;
        }
    }
    if (ref.result == route_match::outcome::method_not_allowed) {
        // The method asked for is not offered (HEAD is listed wherever GET is). OPTIONS is
        // always listed: the router answers it itself (204 with this Allow) when no route has it.
        auto const allow = m.allow();
        std::string_view rest = allow;
        bool options = false;
        while (!rest.empty()) {
            auto const comma = rest.find(", ");
            auto const tok = rest.substr(0, comma);
            options = options || tok == "OPTIONS";
            if (method != "OPTIONS") check(tok != method, "405 Allow does not list the request method");
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 2);
        }
        check(options, "Allow lists OPTIONS");
        // Every method of the matching nodes is listed (at most 16 nodes are remembered).
        if (ref.allowed_methods.size() <= 16)
            for (auto const& name : ref.allowed_methods)
                if (!name.empty())
                    check(allow.find(name) != std::string_view::npos, "Allow lists every method");
    }

    // Decoding: never longer, untouched without '%'.
    std::vector<std::string> kept;
    kept.reserve(m.param_count);
    std::array<nodus::param, nodus::detail::max_route_params> decoded = params;
    nodus::detail::decode_params(
        std::span<nodus::param>{decoded.data(), m.param_count},
        [&kept](std::string_view s) -> std::string_view { return kept.emplace_back(s); });
    for (std::size_t i = 0; i < m.param_count; ++i) {
        check(decoded[i].value.size() <= params[i].value.size(), "decoded value not longer");
        if (params[i].value.find('%') == std::string_view::npos)
            check(decoded[i].value == params[i].value, "value without '%' unchanged");
    }
}

struct fixed_route {
    const char* method; // nullptr: every method
    const char* pattern;
};

constexpr fixed_route fixed_routes[] = {
    {"GET", "/"},
    {"GET", "/users"},
    {"POST", "/users/"},
    {"GET", "/users/:id"},
    {"PUT", "/users/:id"},
    {"DELETE", "/users/:id"},
    {"GET", "/users/:id/books"},
    {"GET", "/users/:id/books/:book"},
    {"GET", "/users/me"},
    {"PATCH", "/users/me/settings"},
    {"GET", "/users/:id/books/:book/pages/:page/*"},
    {"GET", "/files/*"},
    {"PUT", "/files/:name"},
    {nullptr, "/static/*"},
    {"GET", "/a/b/c/d/e/f/g/h"},
    {"GET", "/a/:p1/c/:p2"},
    {"GET", "/a/b/:p3/*"},
    {"OPTIONS", "/a/*"},
    {"GET", "/:p1/:p2/:p3/:p4/:p5/:p6/:p7/:p8/:p9/:p10/:p11/:p12/:p13/:p14/:p15/:p16"},
    {"GET", "/:q1/:q2/:q3/:q4/:q5/:q6/:q7/:q8/:q9/:q10/:q11/:q12/:q13/:q14/:q15/*"},
    {"PROPFIND", "/dav/*"},
    {"MKCOL", "/dav/:col"},
    {"GET", "/%7Euser/:x"},
    {"HEAD", "/head-only"},
    {"GET", "/x/:a/y"},
    {"POST", "/x/:b/z"},
    {nullptr, "/x/*"},
    {"GET", "/search"},
    {"DELETE", "/search"},
    {"GET", "/api/v1/:resource/:id"},
    {"POST", "/api/v1/:resource"},
    {"GET", "/api/v1/:resource/:id/*"},
    {"GET", "/:only"},
    {nullptr, "/health/"},
    {"get", "/lower"},
};

struct fixed_table {
    route_trie trie;
    std::vector<ref_route> routes;

    fixed_table() {
        std::uint32_t id = 0;
        for (auto const& r : fixed_routes) {
            if (r.method) trie.add(r.method, r.pattern, id);
            else trie.add_all(r.pattern, id);
            routes.push_back({r.method ? r.method : "", parse(r.pattern), id});
            ++id;
        }
    }
};

constexpr std::string_view methods[] = {"GET",   "HEAD",    "POST",     "PUT",      "DELETE",
                                        "PATCH", "OPTIONS", "PROPFIND", "MKCOL",    "get",
                                        "BREW",  "TRACE",   "CONNECT",  "M-SEARCH", ""};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view in{reinterpret_cast<const char*>(data) + 1, size - 1};
    std::uint8_t const sel = data[0];

    if (!(sel & 0x80)) {
        static const fixed_table table;
        std::string_view method;
        std::size_t const mi = sel & 0x0f;
        if (mi < std::size(methods)) {
            method = methods[mi];
        } else {
            auto const sp = in.find(' ');
            method = in.substr(0, sp);
            in = sp == std::string_view::npos ? std::string_view{} : in.substr(sp + 1);
        }
        // Copy the path so ASan sees reads past its end.
        std::string const path{in};
        check_match(table.trie, table.routes, method, path);
        return 0;
    }

    // Pattern mode.
    route_trie trie;
    std::vector<ref_route> routes;
    std::vector<std::string_view> lines;
    for (;;) {
        auto const nl = in.find('\n');
        lines.push_back(in.substr(0, nl));
        if (nl == std::string_view::npos) break;
        in.remove_prefix(nl + 1);
    }
    if (lines.size() > 64) return 0;
    std::uint32_t id = 0;
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        auto const line = lines[i];
        auto const sp = line.find(' ');
        if (sp == std::string_view::npos) continue;
        std::string const method{line.substr(0, sp)};
        std::string const pattern{line.substr(sp + 1)};
        auto const before = trie.size();
        try {
            if (method == "@") trie.add_all(pattern, id);
            else trie.add(method, pattern, id);
        } catch (const std::invalid_argument&) {
            check(trie.size() == before, "a rejected route leaves no trace");
            continue;
        }
        check(trie.size() == before + 1, "an added route counts");
        routes.push_back({method == "@" ? "" : method, parse(pattern), id});
        ++id;
    }
    auto const last = lines.back();
    auto const sp = last.find(' ');
    std::string const method{sp == std::string_view::npos ? std::string_view{"GET"} : last.substr(0, sp)};
    std::string const path{sp == std::string_view::npos ? last : last.substr(sp + 1)};
    check_match(trie, routes, method, path);
    return 0;
}
