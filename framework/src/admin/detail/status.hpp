#pragma once
// The status page (status_page.cpp): the HTML, and the JSON it polls.
#include "metrics/detail/snapshot.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nodus::admin::detail {

/// One worker (or the single process) on the status page.
struct worker_load {
    int id = 0; // 0: the single process
    int pid = 0;
    std::uint64_t requests = 0;
    std::uint64_t connections = 0;
    bool ready = false;
};

/// The page: self-contained (inline CSS and JS, no external asset). `json_path` is what it polls.
std::string status_html(std::string_view json_path);

/// The page's data, from a (merged) snapshot: totals, status classes, the merged duration
/// and loop-lag histograms, connections, per-worker load.
std::string status_json(const metrics::detail::snapshot& s, const std::vector<worker_load>& workers,
                        bool ready);

} // namespace nodus::admin::detail
