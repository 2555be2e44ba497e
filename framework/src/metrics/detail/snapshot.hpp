#pragma once
// A process's metrics as values: what a scrape renders, what a worker sends its master,
// and what the master merges. Every source (the framework's counters, the application's
// families, /proc) fills one.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nodus::metrics::detail {

enum class kind : std::uint8_t { counter = 0, gauge = 1, histogram = 2 };

struct series {
    std::vector<std::string> labels; // values, in the family's label order
    double value = 0; // counter, gauge
    std::vector<std::uint64_t> buckets; // histogram: per bucket (not cumulative), +Inf last
    double sum = 0;
};

struct family_snapshot {
    std::string name; // without the _total suffix of a counter, as OpenMetrics names it
    std::string help;
    kind k = kind::counter;
    std::vector<std::string> label_names;
    std::vector<double> bounds; // histogram: finite upper bounds
    std::vector<series> rows;
};

using snapshot = std::vector<family_snapshot>;

/// Bytes for the master (a worker's reply to a scrape).
std::string encode(const snapshot& s);
/// The inverse; false (and `out` unspecified) on anything malformed.
bool decode(std::string_view bytes, snapshot& out);

/// Fold `in` into `into`: counters and histograms are summed per label set; gauges
/// get a leading `worker` label with `worker` as its value (a family that already has one
/// keeps its rows apart). With `apart`, every family gets the label: nothing is summed.
/// Families of the same name but another shape are left out.
void merge(snapshot& into, const snapshot& in, std::string_view worker, bool apart = false);

/// The text exposition: Prometheus 0.0.4, or OpenMetrics 1.0 (with "# EOF").
std::string render(const snapshot& s, bool openmetrics);

/// The Content-Type of each format.
inline constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view openmetrics_content_type =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// True when an Accept header asks for OpenMetrics.
bool wants_openmetrics(std::string_view accept) noexcept;

} // namespace nodus::metrics::detail
