#pragma once
// The router's segment trie, free of requests and responses so it can be tested alone.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nodus/http/request.hpp>

#include "http/detail/access.hpp"
#include "text/detail/percent.hpp"

namespace nodus::detail {

/// Methods with their own slot in a node; anything else goes to a short list.
enum class known_method : std::uint8_t { get, head, post, put, delete_, patch, options, count };

/// The slot of `method`, or known_method::count for other tokens. Case-sensitive.
known_method classify_method(std::string_view method) noexcept;

/// Where a method's handler lives: an index into the router's handler table, and the
/// names of the route's parameters in path order (`:name`s, then "*").
struct route_target {
    static constexpr std::uint32_t none = UINT32_MAX;
    std::uint32_t handler = none;
    std::vector<std::string> names;

    bool empty() const noexcept { return handler == none; }
};

struct route_node;

struct route_methods {
    std::array<route_target, static_cast<std::size_t>(known_method::count)> known;
    std::vector<std::pair<std::string, route_target>> other;
    route_target all;
    /// The `Allow` value, rebuilt whenever a method is added here.
    std::string allow;

    bool empty() const noexcept;
    /// The target for a request method: exact, then GET for HEAD, then `all`.
    const route_target* find(known_method m, std::string_view method) const noexcept;
};

struct route_node {
    /// Sorted by key: binary search keeps lookups logarithmic in the number of siblings.
    std::vector<std::pair<std::string, std::unique_ptr<route_node>>> literals;
    std::unique_ptr<route_node> param;
    std::unique_ptr<route_node> wildcard;
    route_methods methods;

    const route_node* literal(std::string_view key) const noexcept;
};

struct route_match {
    enum class outcome : std::uint8_t { found, method_not_allowed, not_found };
    outcome result = outcome::not_found;
    /// found: the handler index.
    std::uint32_t handler = route_target::none;
    /// found: how many entries of the caller's params array are set (names and raw values).
    std::size_t param_count = 0;
    /// method_not_allowed: the `Allow` header value.
    std::string_view allow() const noexcept { return merged_.empty() ? node_allow_ : merged_; }

    // One matching node: its ready string; several (overlapping patterns): their union.
    std::string_view node_allow_;
    std::string merged_;
};

using route_params = std::span<param, max_route_params>;

// Routes by path segments: literal > `:param` > `*`, with backtracking.
//
// Paths are matched raw (not percent-decoded), case-sensitively. One trailing slash is
// ignored, in patterns and in paths ("/a/" is "/a"). An empty segment ("//") matches
// neither a literal nor a `:param`, only a `*`. A `*` also matches an empty rest, so
// "/files/*" matches "/files".
class route_trie {
public:
    /// Add `handler` for `method` on `pattern`.
    /// @throws std::invalid_argument for a malformed pattern or method, or a duplicate.
    void add(std::string_view method, std::string_view pattern, std::uint32_t handler);
    /// Add `handler` for every method on `pattern`. @throws as `add`.
    void add_all(std::string_view pattern, std::uint32_t handler);

    /// Match `path` (no query) for `method`; params are written to `params` (raw values).
    route_match match(std::string_view method, std::string_view path, route_params params) const;

    std::size_t size() const noexcept { return size_; }

private:
    void insert(std::string_view method, bool all, std::string_view pattern, std::uint32_t handler);

    route_node root_;
    std::size_t size_ = 0;
};

/// Percent-decode the values of `params` that contain '%' ('+' stays '+' in paths);
/// `store(std::string_view) -> std::string_view` keeps decoded bytes alive.
template <class Store>
void decode_params(std::span<param> params, Store&& store) {
    for (auto& p : params) p.value = decode_component(p.value, false, store);
}

} // namespace nodus::detail
