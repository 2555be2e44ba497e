#pragma once
/** @file
    Application metrics: counters, gauges and histograms with labels, published with the
    framework's own series at the admin listener's `/metrics` (docs/operations.md).

    A family is declared once, at setup; each combination of label values is a series,
    created the first time `with()` names it. Keep the handle `with()` returns: counting
    through it is a plain add on the loop thread (no lock, no allocation, no atomic).
    @code
    auto jobs = nodus::metrics::add_counter("jobs_total", "Jobs done.", {"kind"});
    auto email = jobs.with({"email"});
    email.inc();
    @endcode
    In a cluster, each worker counts its own; one scrape of the master sums the workers'
    counters and histograms and lists their gauges with a `worker` label.

    @par Threads
    Handles are used on the loop thread only (a thread-pool job reports back through its
    `done` callback).
*/
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace nodus::metrics {

namespace detail {
struct family_impl;
struct histogram_cell;
} // namespace detail

/** One counter series: a value that only goes up. */
class counter {
public:
    counter() noexcept = default;
    /** Add `v` (negative values are ignored: a counter never goes down). */
    void inc(double v = 1) const noexcept {
        if (cell_ && v > 0) *cell_ += v;
    }
    double value() const noexcept { return cell_ ? *cell_ : 0; }

private:
    friend struct detail::family_impl;
    explicit counter(double* cell) noexcept : cell_(cell) {}
    double* cell_ = nullptr;
};

/** One gauge series: a value that goes up and down. */
class gauge {
public:
    gauge() noexcept = default;
    void set(double v) const noexcept {
        if (cell_) *cell_ = v;
    }
    void inc(double v = 1) const noexcept {
        if (cell_) *cell_ += v;
    }
    void dec(double v = 1) const noexcept {
        if (cell_) *cell_ -= v;
    }
    double value() const noexcept { return cell_ ? *cell_ : 0; }

private:
    friend struct detail::family_impl;
    explicit gauge(double* cell) noexcept : cell_(cell) {}
    double* cell_ = nullptr;
};

/** One histogram series: observations counted in the family's buckets. */
class histogram {
public:
    histogram() noexcept = default;
    /** Count `v` in the first bucket whose upper bound is ≥ `v`, and add it to the sum. */
    void observe(double v) const noexcept;

private:
    friend struct detail::family_impl;
    explicit histogram(detail::histogram_cell* cell) noexcept : cell_(cell) {}
    detail::histogram_cell* cell_ = nullptr;
};

/** A family of series of one metric type `T`, told apart by their label values. */
template <class T>
class family {
public:
    family() noexcept = default;
    /** The series with these label values, one per label name, in the declared order;
        created (zero) the first time. Allocates then; cheap afterwards, but keep the handle
        on hot paths.
        @throws std::invalid_argument when the number of values is not the number of labels. */
    T with(std::initializer_list<std::string_view> values) const;
    /** Same, from a vector. */
    T with(const std::vector<std::string>& values) const;

private:
    friend struct detail::family_impl;
    explicit family(detail::family_impl* f) noexcept : f_(f) {}
    detail::family_impl* f_ = nullptr;
};

/** Declare a counter family. `name` must be a valid Prometheus metric name
    (`[a-zA-Z_:][a-zA-Z0-9_:]*`) ending in `_total`, not starting with `nodus_` or
    `process_` (the framework's own); labels are valid label names, none
    starting with `__` nor named `worker` (the cluster's own label).
    Declaring a name twice with the same type and labels returns the same family.
    @throws std::invalid_argument for a bad name or label, or a name already used differently. */
family<counter> add_counter(std::string name, std::string help, std::vector<std::string> labels = {});

/** Declare a gauge family (rules as for `add_counter`, without the `_total` suffix). */
family<gauge> add_gauge(std::string name, std::string help, std::vector<std::string> labels = {});

/** Declare a histogram family with `buckets`: finite upper bounds in increasing order
    (`+Inf` is added). Empty: `default_buckets()`. */
family<histogram> add_histogram(std::string name, std::string help, std::vector<double> buckets = {},
                                std::vector<std::string> labels = {});

/** A gauge without labels whose value is read from `fn` at each scrape (on the loop). */
void add_gauge_callback(std::string name, std::string help, std::function<double()> fn);

/** 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10: Prometheus's client default,
    for durations in seconds. */
std::vector<double> default_buckets();

/** The text exposition of this process's metrics (the framework's and the application's),
    as `/metrics` answers it: Prometheus text format 0.0.4, or OpenMetrics 1.0 when
    `openmetrics` is true. In a cluster's master, the master's own series only. */
std::string render(bool openmetrics = false);

} // namespace nodus::metrics
