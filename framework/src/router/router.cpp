#include <nodus/router/router.hpp>

#include <array>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include <nodus/http/answers.hpp>
#include <nodus/log/log.hpp>

#include "http/detail/access.hpp"
#include "metrics/detail/http_stats.hpp"
#include "router/detail/route_trie.hpp"

namespace nodus {

namespace detail {

struct router_impl {
    struct mounted {
        std::string prefix; // no trailing '/'; empty for every path
        middleware fn;
    };

    route_trie trie;
    std::vector<handler> handlers;
    // Per handler: its pattern (a deque: views of it are kept by requests) and metrics id.
    std::deque<std::string> patterns;
    std::vector<std::uint32_t> route_ids;
    std::vector<mounted> chain;
    handler not_found;
    error_handler on_error;

    void add(std::string_view method, bool all, std::string_view path, handler h);
    void run(request& req, response& res, std::uint32_t index) const noexcept;
    void dispatch(request& req, response& res) const;
    void fail(request& req, response& res, std::exception_ptr e) const noexcept;
};

namespace {

bool prefix_matches(std::string_view prefix, std::string_view path) noexcept {
    return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

std::string describe(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "unknown exception";
    }
}

void answer(response& res, int status) { send_answer(res, status); }

} // namespace

void router_impl::add(std::string_view method, bool all, std::string_view path, handler h) {
    if (!h) throw std::invalid_argument("route \"" + std::string{path} + "\": empty handler");
    // Reserve first: once the trie holds the index, storing the handler must not fail.
    handlers.reserve(handlers.size() + 1);
    route_ids.reserve(route_ids.size() + 1);
    auto const metrics_id = metrics::detail::intern_route(path);
    patterns.emplace_back(path);
    auto const id = static_cast<std::uint32_t>(handlers.size());
    try {
        if (all) trie.add_all(path, id);
        else trie.add(method, path, id);
    } catch (...) {
        patterns.pop_back();
        throw;
    }
    handlers.push_back(std::move(h));
    route_ids.push_back(metrics_id);
}

void router_impl::run(request& req, response& res, std::uint32_t index) const noexcept {
    // A middleware that answered (or lost its client) and still called next() ends the chain.
    if (res.finished() || res.aborted()) return;
    auto const path = req.path();
    for (auto i = index; i < chain.size(); ++i) {
        if (!prefix_matches(chain[i].prefix, path)) continue;
        set_mount(req, chain[i].prefix);
        try {
            chain[i].fn(req, res, next_fn{this, req, res, i + 1});
        } catch (...) {
            fail(req, res, std::current_exception());
        }
        return;
    }
    try {
        dispatch(req, res);
    } catch (...) {
        fail(req, res, std::current_exception());
    }
}

void router_impl::dispatch(request& req, response& res) const {
    std::array<param, max_route_params> params;
    auto const m = trie.match(req.method(), req.path(), params);
    switch (m.result) {
    case route_match::outcome::found:
        if (m.param_count > 0) {
            std::span<param> p{params.data(), m.param_count};
            set_raw_params(req, p);
            decode_params(p, [&req](std::string_view bytes) { return keep(req, bytes); });
            set_params(req, p);
        }
        set_route(req, patterns[m.handler], route_ids[m.handler]);
        handlers[m.handler](req, res);
        return;
    case route_match::outcome::method_not_allowed:
        res.set("Allow", m.allow());
        // The route exists and has no OPTIONS handler of its own: say what it accepts.
        if (req.method() == "OPTIONS") {
            res.status(204).end();
            return;
        }
        answer(res, 405);
        return;
    case route_match::outcome::not_found:
        if (not_found) not_found(req, res);
        else answer(res, 404);
        return;
    }
}

void router_impl::fail(request& req, response& res, std::exception_ptr e) const noexcept {
    try {
        log::get().error("{} {}: uncaught exception: {}", req.method(), req.target(), describe(e));
    } catch (...) {}
    try {
        if (res.finished()) return;
        if (!res.headers_sent() && on_error) {
            try {
                on_error(req, res, e);
                return;
            } catch (...) {
                log::get().error("{} {}: on_error handler threw: {}", req.method(), req.target(),
                                 describe(std::current_exception()));
            }
            if (res.finished()) return;
        }
        if (res.headers_sent()) {
            abort_connection(res);
            return;
        }
        // Headers the handler set for its own body would misdescribe ours.
        res.remove("Content-Length");
        res.remove("Content-Encoding");
        answer(res, 500);
    } catch (...) {
        try {
            abort_connection(res);
        } catch (...) {}
    }
}

} // namespace detail

void next_fn::operator()() const {
    request req = req_;
    response res = res_;
    router_->run(req, res, index_);
}

router::router() : impl_(std::make_unique<detail::router_impl>()) {}
router::router(router&&) noexcept = default;
router& router::operator=(router&&) noexcept = default;
router::~router() = default;

router& router::get(std::string_view path, handler h) { return route("GET", path, std::move(h)); }
router& router::post(std::string_view path, handler h) { return route("POST", path, std::move(h)); }
router& router::put(std::string_view path, handler h) { return route("PUT", path, std::move(h)); }
router& router::patch(std::string_view path, handler h) { return route("PATCH", path, std::move(h)); }
router& router::del(std::string_view path, handler h) { return route("DELETE", path, std::move(h)); }
router& router::head(std::string_view path, handler h) { return route("HEAD", path, std::move(h)); }
router& router::options(std::string_view path, handler h) { return route("OPTIONS", path, std::move(h)); }

router& router::all(std::string_view path, handler h) {
    impl_->add({}, true, path, std::move(h));
    return *this;
}

router& router::route(std::string_view method, std::string_view path, handler h) {
    impl_->add(method, false, path, std::move(h));
    return *this;
}

router& router::use(middleware m) { return use("/", std::move(m)); }

router& router::use(std::string_view prefix, middleware m) {
    auto const bad = [prefix](std::string_view why) {
        throw std::invalid_argument("middleware prefix \"" + std::string{prefix} + "\": " + std::string{why});
    };
    if (!m) bad("empty middleware");
    if (prefix.empty() || prefix.front() != '/') bad("must start with '/'");
    if (prefix.find_first_of("?#*") != std::string_view::npos || prefix.find("/:") != std::string_view::npos)
        bad("a prefix is literal: no '?', '#', '*' or ':param'");
    if (prefix.back() == '/') prefix.remove_suffix(1);
    impl_->chain.push_back({std::string{prefix}, std::move(m)});
    return *this;
}

router& router::on_not_found(handler h) {
    impl_->not_found = std::move(h);
    return *this;
}

router& router::on_error(error_handler h) {
    impl_->on_error = std::move(h);
    return *this;
}

void router::operator()(request req, response res) const { impl_->run(req, res, 0); }

std::size_t router::size() const noexcept { return impl_->trie.size(); }

} // namespace nodus
