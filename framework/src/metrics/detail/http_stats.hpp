#pragma once
// The framework's request counters: plain memory of the loop thread, counted by the HTTP
// connections of a server that has metrics on (http/connection*.cpp), read at scrape time.
// Everything is preallocated per route when the route is declared, so counting a request
// is a few adds and a bucket search: no allocation, lock, atomic or virtual call.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nodus::metrics::detail {

/// GET HEAD POST PUT DELETE PATCH OPTIONS, then every other method.
inline constexpr std::size_t method_count = 8;
inline constexpr std::array<std::string_view, method_count> method_names = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"};
/// 1xx … 5xx.
inline constexpr std::size_t status_classes = 5;

/// Request duration buckets, in seconds.
inline constexpr std::array<double, 16> duration_bounds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

/// Statuses counted as refused requests; the last row is "other".
inline constexpr std::array<int, 10> rejected_statuses = {400, 408, 413, 414, 417, 431, 500, 501, 505, 0};

struct route_stats {
    std::string pattern; // "" for requests no route matched
    std::array<std::array<std::uint64_t, status_classes>, method_count> requests{};
    std::array<std::uint64_t, duration_bounds.size() + 1> buckets{};
    double seconds = 0;
};

struct http_stats {
    std::vector<std::unique_ptr<route_stats>> routes; // [0]: no route matched
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t active = 0; // exchanges in progress
    std::array<std::uint64_t, rejected_statuses.size()> rejected{};
};

/// The process's counters (one loop per process).
extern http_stats g_http;

/// The id of `pattern`'s counters, made the first time (route setup, not per request).
std::uint32_t intern_route(std::string_view pattern);

inline std::size_t method_index(std::string_view m) noexcept {
    switch (m.size()) {
    case 3:
        if (m == "GET") return 0;
        if (m == "PUT") return 3;
        break;
    case 4:
        if (m == "HEAD") return 1;
        if (m == "POST") return 2;
        break;
    case 5:
        if (m == "PATCH") return 5;
        break;
    case 6:
        if (m == "DELETE") return 4;
        break;
    case 7:
        if (m == "OPTIONS") return 6;
        break;
    default: break;
    }
    return method_count - 1;
}

/// One finished exchange.
inline void record_request(std::uint32_t route, std::string_view method, int status,
                           double seconds) noexcept {
    if (route >= g_http.routes.size()) route = 0;
    auto& r = *g_http.routes[route];
    int cls = status / 100 - 1;
    if (cls < 0) cls = 0;
    if (cls >= static_cast<int>(status_classes)) cls = status_classes - 1;
    ++r.requests[method_index(method)][static_cast<std::size_t>(cls)];
    std::size_t b = 0;
    while (b < duration_bounds.size() && seconds > duration_bounds[b]) ++b;
    ++r.buckets[b];
    r.seconds += seconds;
}

/// One request refused with `status` by the framework.
inline void record_rejected(int status) noexcept {
    std::size_t i = 0;
    while (i + 1 < rejected_statuses.size() && rejected_statuses[i] != status) ++i;
    ++g_http.rejected[i];
}

} // namespace nodus::metrics::detail
