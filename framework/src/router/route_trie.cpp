#include "router/detail/route_trie.hpp"

#include <algorithm>
#include <stdexcept>

#include "text/detail/char_class.hpp"

namespace nodus::detail {

namespace {

constexpr std::size_t known_count = static_cast<std::size_t>(known_method::count);

constexpr std::array<std::string_view, known_count> known_names{"GET",    "HEAD",  "POST",   "PUT",
                                                                "DELETE", "PATCH", "OPTIONS"};

constexpr std::size_t index(known_method m) noexcept { return static_cast<std::size_t>(m); }

bool is_name_char(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

[[noreturn]] void reject(std::string_view pattern, std::string_view why) {
    throw std::invalid_argument("route \"" + std::string{pattern} + "\": " + std::string{why});
}

// Patterns and paths alike: drop the leading '/' and one trailing '/'.
std::string_view strip_slashes(std::string_view path) noexcept {
    path.remove_prefix(1);
    if (!path.empty() && path.back() == '/') path.remove_suffix(1);
    return path;
}

// The union of the methods of `nodes`, in a fixed order (known methods, then others as
// registered); HEAD is listed wherever GET is, and OPTIONS everywhere: the router answers
// it for any route that has no OPTIONS handler of its own.
std::string build_allow(std::span<const route_methods* const> nodes) {
    std::string out;
    auto add = [&out](std::string_view name) {
        if (!out.empty()) out += ", ";
        out += name;
    };
    auto has = [&nodes](known_method m) {
        return std::any_of(nodes.begin(), nodes.end(),
                           [m](const route_methods* n) { return !n->known[index(m)].empty(); });
    };
    for (std::size_t i = 0; i < known_count; ++i) {
        auto const m = static_cast<known_method>(i);
        if (has(m) || (m == known_method::head && has(known_method::get)) || m == known_method::options)
            add(known_names[i]);
    }
    std::vector<std::string_view> seen;
    for (const route_methods* n : nodes)
        for (auto const& [name, target] : n->other)
            if (std::find(seen.begin(), seen.end(), name) == seen.end()) {
                seen.push_back(name);
                add(name);
            }
    return out;
}

struct match_state {
    match_state(known_method k, std::string_view m, route_params p) noexcept
        : kind(k), method(m), params(p) {}

    known_method kind;
    std::string_view method;
    route_params params;
    const route_target* target = nullptr;
    std::size_t count = 0;
    // Nodes whose pattern matched the path but not the method, for `Allow`. Overlapping
    // patterns are few; past this many, later ones are left out of the header.
    // Left uninitialised: only the first matched_count are read, and clearing 128 bytes
    // on every request costs more than the match of a short path.
    std::array<const route_methods*, 16> matched;
    std::size_t matched_count = 0;
};

bool try_node(const route_node& n, match_state& s, std::size_t depth) noexcept {
    if (n.methods.empty()) return false;
    if (auto const* t = n.methods.find(s.kind, s.method)) {
        s.target = t;
        s.count = depth;
        return true;
    }
    if (s.matched_count < s.matched.size()) s.matched[s.matched_count++] = &n.methods;
    return false;
}

// `rest` is the path after the segments consumed so far; `more` tells an empty rest
// that still holds one (empty) segment from the end of the path.
bool walk(const route_node& n, std::string_view rest, bool more, std::size_t depth, match_state& s) noexcept {
    if (!more) {
        if (try_node(n, s, depth)) return true;
        if (n.wildcard && depth < max_route_params) {
            s.params[depth].value = {};
            return try_node(*n.wildcard, s, depth + 1);
        }
        return false;
    }
    auto const slash = rest.find('/');
    auto const seg = rest.substr(0, slash);
    bool const next_more = slash != std::string_view::npos;
    auto const next = next_more ? rest.substr(slash + 1) : std::string_view{};
    if (!seg.empty()) {
        if (auto const* child = n.literal(seg); child && walk(*child, next, next_more, depth, s)) return true;
        if (n.param && depth < max_route_params) {
            s.params[depth].value = seg;
            if (walk(*n.param, next, next_more, depth + 1, s)) return true;
        }
    }
    if (n.wildcard && depth < max_route_params) {
        s.params[depth].value = rest;
        return try_node(*n.wildcard, s, depth + 1);
    }
    return false;
}

enum class segment_kind : std::uint8_t { literal, param, wildcard };

struct parsed_segment {
    segment_kind kind;
    std::string_view text;
};

std::vector<parsed_segment> parse_pattern(std::string_view pattern) {
    if (pattern.empty() || pattern.front() != '/') reject(pattern, "must start with '/'");
    std::vector<parsed_segment> out;
    auto rest = strip_slashes(pattern);
    if (rest.empty()) return out;
    std::size_t params = 0;
    for (;;) {
        auto const slash = rest.find('/');
        auto const seg = rest.substr(0, slash);
        bool const last = slash == std::string_view::npos;
        if (seg.empty()) reject(pattern, "empty segment");
        if (seg == "*") {
            if (!last) reject(pattern, "'*' must be the last segment");
            out.push_back({segment_kind::wildcard, seg});
            ++params;
        } else if (seg.front() == ':') {
            auto const name = seg.substr(1);
            if (name.empty()) reject(pattern, "empty parameter name");
            // Only word characters: "/:id.json" would otherwise silently name "id.json".
            if (!std::all_of(name.begin(), name.end(), is_name_char))
                reject(pattern,
                       "parameter name \"" + std::string{name} + "\" may hold only letters, digits and '_'");
            for (auto const& p : out)
                if (p.kind == segment_kind::param && p.text == name)
                    reject(pattern, "duplicate parameter name \"" + std::string{name} + "\"");
            out.push_back({segment_kind::param, name});
            ++params;
        } else {
            for (char const c : seg) {
                auto const u = static_cast<unsigned char>(c);
                if (c == '*' || c == '?' || c == '#' || u <= 0x20 || u == 0x7f)
                    reject(pattern, "invalid character in segment \"" + std::string{seg} + "\"");
            }
            out.push_back({segment_kind::literal, seg});
        }
        if (last) break;
        rest = rest.substr(slash + 1);
    }
    if (params > max_route_params)
        reject(pattern, "more than " + std::to_string(max_route_params) + " parameters");
    return out;
}

} // namespace

known_method classify_method(std::string_view method) noexcept {
    for (std::size_t i = 0; i < known_count; ++i)
        if (method == known_names[i]) return static_cast<known_method>(i);
    return known_method::count;
}

bool route_methods::empty() const noexcept {
    return all.empty() && other.empty() &&
        std::all_of(known.begin(), known.end(), [](auto const& t) { return t.empty(); });
}

const route_target* route_methods::find(known_method m, std::string_view method) const noexcept {
    if (m != known_method::count) {
        if (auto const& t = known[index(m)]; !t.empty()) return &t;
        if (m == known_method::head && !known[index(known_method::get)].empty())
            return &known[index(known_method::get)];
    } else {
        for (auto const& [name, target] : other)
            if (name == method) return &target;
    }
    return all.empty() ? nullptr : &all;
}

const route_node* route_node::literal(std::string_view key) const noexcept {
    auto const it = std::lower_bound(literals.begin(), literals.end(), key,
                                     [](auto const& e, std::string_view k) { return e.first < k; });
    return it != literals.end() && it->first == key ? it->second.get() : nullptr;
}

void route_trie::add(std::string_view method, std::string_view pattern, std::uint32_t handler) {
    if (!is_token(method)) reject(pattern, "invalid method \"" + std::string{method} + "\"");
    insert(method, false, pattern, handler);
}

void route_trie::add_all(std::string_view pattern, std::uint32_t handler) {
    insert({}, true, pattern, handler);
}

void route_trie::insert(std::string_view method, bool all, std::string_view pattern, std::uint32_t handler) {
    // Validate everything before creating nodes, so a rejected pattern leaves no trace.
    auto const segments = parse_pattern(pattern);
    route_node* n = &root_;
    std::vector<std::string> names;
    for (auto const& seg : segments) {
        switch (seg.kind) {
        case segment_kind::literal: {
            auto it = std::lower_bound(n->literals.begin(), n->literals.end(), seg.text,
                                       [](auto const& e, std::string_view k) { return e.first < k; });
            if (it == n->literals.end() || it->first != seg.text)
                it = n->literals.emplace(it, std::string{seg.text}, std::make_unique<route_node>());
            n = it->second.get();
            break;
        }
        case segment_kind::param:
            if (!n->param) n->param = std::make_unique<route_node>();
            n = n->param.get();
            names.emplace_back(seg.text);
            break;
        case segment_kind::wildcard:
            if (!n->wildcard) n->wildcard = std::make_unique<route_node>();
            n = n->wildcard.get();
            names.emplace_back("*");
            break;
        }
    }

    auto& methods = n->methods;
    route_target* slot = nullptr;
    if (all) {
        slot = &methods.all;
    } else if (auto const m = classify_method(method); m != known_method::count) {
        slot = &methods.known[index(m)];
    } else {
        auto it = std::find_if(methods.other.begin(), methods.other.end(),
                               [method](auto const& e) { return e.first == method; });
        if (it == methods.other.end()) {
            methods.other.emplace_back(std::string{method}, route_target{});
            it = std::prev(methods.other.end());
        }
        slot = &it->second;
    }
    if (!slot->empty())
        reject(pattern,
               "already has a handler for " + (all ? std::string{"all methods"} : std::string{method}));
    slot->handler = handler;
    slot->names = std::move(names);
    const route_methods* self = &methods;
    methods.allow = build_allow(std::span{&self, 1});
    ++size_;
}

route_match route_trie::match(std::string_view method, std::string_view path, route_params params) const {
    route_match out;
    if (path.empty() || path.front() != '/') return out;
    auto const rest = strip_slashes(path);
    match_state s{classify_method(method), method, params};
    if (walk(root_, rest, !rest.empty(), 0, s)) {
        out.result = route_match::outcome::found;
        out.handler = s.target->handler;
        out.param_count = s.count;
        for (std::size_t i = 0; i < s.count; ++i) params[i].name = s.target->names[i];
        return out;
    }
    if (s.matched_count == 0) return out;
    out.result = route_match::outcome::method_not_allowed;
    if (s.matched_count == 1) {
        out.node_allow_ = s.matched[0]->allow;
    } else {
        out.merged_ = build_allow(std::span{s.matched.data(), s.matched_count});
    }
    return out;
}

} // namespace nodus::detail
