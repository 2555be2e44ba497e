// The application's metric families and the scrape that reads every source.
#include "metrics/detail/http_stats.hpp"
#include "metrics/detail/registry.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace nodus::metrics {

namespace detail {

http_stats g_http;

namespace {

struct callback_gauge {
    std::string name, help;
    std::function<double()> fn;
};

struct registry {
    std::vector<std::unique_ptr<family_impl>> families;
    std::vector<callback_gauge> callbacks;
    std::vector<source> sources;
};

registry& reg() {
    static auto* r = new registry; // outlives every static destructor
    return *r;
}

bool valid_name(std::string_view n, bool label) {
    if (n.empty()) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        char c = n[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

void check_name(const std::string& name, const std::vector<std::string>& labels) {
    auto bad = [&](const std::string& why) {
        throw std::invalid_argument("metric \"" + name + "\": " + why);
    };
    if (!valid_name(name, false)) bad("not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
    // The framework's own families: a second one of the same name would make the exposition invalid.
    if (name.starts_with("nodus_") || name.starts_with("process_"))
        bad("the prefixes nodus_ and process_ are reserved");
    for (const auto& l : labels) {
        if (!valid_name(l, true) || l.starts_with("__")) bad("label \"" + l + "\" is not a valid label name");
        if (l == "worker" || l == "le") bad("label \"" + l + "\" is reserved");
    }
    auto sorted = labels;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) bad("a label is named twice");
}

family_impl* declare(std::string name, std::string help, kind k, std::vector<std::string> labels,
                     std::vector<double> bounds) {
    check_name(name, labels);
    if (k == kind::counter) {
        if (!name.ends_with("_total") || name.size() == 6)
            throw std::invalid_argument("metric \"" + name + "\": a counter's name ends in _total");
        name.resize(name.size() - 6);
    }
    auto& r = reg();
    for (auto& f : r.families) {
        if (f->name != name) continue;
        if (f->k == k && f->label_names == labels && f->bounds == bounds) return f.get();
        throw std::invalid_argument("metric \"" + name + "\" is already declared differently");
    }
    for (const auto& c : r.callbacks)
        if (c.name == name) throw std::invalid_argument("metric \"" + name + "\" is already declared");
    auto f = std::make_unique<family_impl>();
    f->name = std::move(name);
    f->help = std::move(help);
    f->k = k;
    f->label_names = std::move(labels);
    f->bounds = std::move(bounds);
    r.families.push_back(std::move(f));
    return r.families.back().get();
}

void add_http_stats(snapshot& s) {
    auto& g = g_http;
    // Built apart and added together: a reference into `s` would not survive its growth.
    family_snapshot req{"nodus_http_requests",
                        "HTTP requests answered, by method, route pattern and status class.",
                        kind::counter,
                        {"method", "route", "status"},
                        {},
                        {}};
    family_snapshot dur{"nodus_http_request_duration_seconds",
                        "Time from a request's head to the end of its response, by route pattern.",
                        kind::histogram,
                        {"route"},
                        {},
                        {}};
    dur.bounds.assign(duration_bounds.begin(), duration_bounds.end());
    static constexpr const char* classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    for (const auto& r : g.routes) {
        for (std::size_t m = 0; m < method_count; ++m)
            for (std::size_t c = 0; c < status_classes; ++c)
                if (auto n = r->requests[m][c])
                    req.rows.push_back({{std::string(method_names[m]), r->pattern, classes[c]},
                                        static_cast<double>(n),
                                        {},
                                        0});
        std::uint64_t seen = 0;
        for (auto b : r->buckets) seen += b;
        if (seen == 0) continue;
        series row;
        row.labels = {r->pattern};
        row.buckets.assign(r->buckets.begin(), r->buckets.end());
        row.sum = r->seconds;
        dur.rows.push_back(std::move(row));
    }
    s.push_back(std::move(req));
    s.push_back(std::move(dur));
    family_of(s, "nodus_http_received_bytes", "Bytes read from HTTP connections.", kind::counter)
        .rows.push_back({{}, static_cast<double>(g.bytes_in), {}, 0});
    family_of(s, "nodus_http_sent_bytes", "Bytes written to HTTP connections.", kind::counter)
        .rows.push_back({{}, static_cast<double>(g.bytes_out), {}, 0});
    family_of(s, "nodus_http_requests_active", "Requests in progress.", kind::gauge)
        .rows.push_back({{}, static_cast<double>(g.active), {}, 0});
    auto& rej = family_of(s, "nodus_http_rejected", "Requests refused by the framework, by status.",
                          kind::counter, {"status"});
    for (std::size_t i = 0; i < rejected_statuses.size(); ++i)
        rej.rows.push_back(
            {{rejected_statuses[i] ? std::to_string(rejected_statuses[i]) : std::string("other")},
             static_cast<double>(g.rejected[i]),
             {},
             0});
}

} // namespace

family_impl::row& family_impl::find_or_add(std::vector<std::string> values) {
    if (values.size() != label_names.size())
        throw std::invalid_argument("metric \"" + name + "\": " + std::to_string(label_names.size()) +
                                    " label value(s) expected, got " + std::to_string(values.size()));
    auto it = index.find(values);
    if (it != index.end()) return *it->second;
    auto& r = rows.emplace_back();
    r.labels = values;
    if (k == kind::histogram) {
        r.h.bounds = &bounds;
        r.h.counts.assign(bounds.size() + 1, 0);
    }
    index.emplace(std::move(values), &r);
    return r;
}

template <>
counter family_impl::handle<counter>(row& r) noexcept {
    return counter{&r.value};
}
template <>
gauge family_impl::handle<gauge>(row& r) noexcept {
    return gauge{&r.value};
}
template <>
histogram family_impl::handle<histogram>(row& r) noexcept {
    return histogram{&r.h};
}

void family_impl::fill(family_snapshot& out) const {
    out.name = name;
    out.help = help;
    out.k = k;
    out.label_names = label_names;
    out.bounds = bounds;
    for (const auto& r : rows) {
        series s;
        s.labels = r.labels;
        s.value = r.value;
        if (k == kind::histogram) {
            s.buckets = r.h.counts;
            s.sum = r.h.sum;
        }
        out.rows.push_back(std::move(s));
    }
}

std::uint32_t intern_route(std::string_view pattern) {
    auto& routes = g_http.routes;
    if (routes.empty()) routes.push_back(std::make_unique<route_stats>());
    for (std::size_t i = 0; i < routes.size(); ++i)
        if (routes[i]->pattern == pattern) return static_cast<std::uint32_t>(i);
    auto r = std::make_unique<route_stats>();
    r->pattern = std::string(pattern);
    routes.push_back(std::move(r));
    return static_cast<std::uint32_t>(routes.size() - 1);
}

void add_source(source s) { reg().sources.push_back(std::move(s)); }

family_snapshot& family_of(snapshot& s, std::string_view name, std::string_view help, kind k,
                           std::vector<std::string> label_names) {
    for (auto& f : s)
        if (f.name == name) return f;
    auto& f = s.emplace_back();
    f.name = std::string(name);
    f.help = std::string(help);
    f.k = k;
    f.label_names = std::move(label_names);
    return f;
}

snapshot collect() {
    snapshot s;
    if (g_http.routes.empty()) intern_route({});
    add_http_stats(s);
    auto& r = reg();
    for (auto& src : r.sources) src(s);
    for (const auto& f : r.families) f->fill(s.emplace_back());
    for (const auto& c : r.callbacks) {
        double v = 0;
        try {
            v = c.fn();
        } catch (...) {
            continue; // a broken callback leaves its gauge out of this scrape
        }
        family_of(s, c.name, c.help, kind::gauge).rows.push_back({{}, v, {}, 0});
    }
    return s;
}

} // namespace detail

void histogram::observe(double v) const noexcept {
    if (!cell_) return;
    const auto& b = *cell_->bounds;
    std::size_t i = 0;
    while (i < b.size() && v > b[i]) ++i;
    ++cell_->counts[i];
    cell_->sum += v;
}

template <class T>
T family<T>::with(std::initializer_list<std::string_view> values) const {
    std::vector<std::string> v(values.begin(), values.end());
    return with(v);
}

template <class T>
T family<T>::with(const std::vector<std::string>& values) const {
    if (!f_) return T{};
    return f_->template handle<T>(f_->find_or_add(values));
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

family<counter> add_counter(std::string name, std::string help, std::vector<std::string> labels) {
    return detail::family_impl::make<counter>(
        detail::declare(std::move(name), std::move(help), detail::kind::counter, std::move(labels), {}));
}

family<gauge> add_gauge(std::string name, std::string help, std::vector<std::string> labels) {
    return detail::family_impl::make<gauge>(
        detail::declare(std::move(name), std::move(help), detail::kind::gauge, std::move(labels), {}));
}

family<histogram> add_histogram(std::string name, std::string help, std::vector<double> buckets,
                                std::vector<std::string> labels) {
    if (buckets.empty()) buckets = default_buckets();
    for (std::size_t i = 0; i < buckets.size(); ++i)
        if (!std::isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1]))
            throw std::invalid_argument("metric \"" + name + "\": buckets must be finite and increasing");
    return detail::family_impl::make<histogram>(detail::declare(
        std::move(name), std::move(help), detail::kind::histogram, std::move(labels), std::move(buckets)));
}

void add_gauge_callback(std::string name, std::string help, std::function<double()> fn) {
    if (!fn) throw std::invalid_argument("metric \"" + name + "\": empty callback");
    detail::check_name(name, {});
    auto& r = detail::reg();
    for (const auto& f : r.families)
        if (f->name == name) throw std::invalid_argument("metric \"" + name + "\" is already declared");
    r.callbacks.push_back({std::move(name), std::move(help), std::move(fn)});
}

std::vector<double> default_buckets() { return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}; }

std::string render(bool openmetrics) { return detail::render(detail::collect(), openmetrics); }

} // namespace nodus::metrics
