#pragma once
// The process's metric families (the application's), and the other sources a scrape reads.
#include <nodus/metrics/metrics.hpp>

#include "metrics/detail/snapshot.hpp"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nodus::metrics::detail {

struct histogram_cell {
    const std::vector<double>* bounds = nullptr;
    std::vector<std::uint64_t> counts; // per bucket, +Inf last
    double sum = 0;
};

struct family_impl {
    std::string name; // a counter's without _total
    std::string help;
    kind k = kind::counter;
    std::vector<std::string> label_names;
    std::vector<double> bounds;

    struct row {
        std::vector<std::string> labels;
        double value = 0;
        histogram_cell h;
    };
    std::deque<row> rows; // a deque: handles point into rows that never move
    std::map<std::vector<std::string>, row*, std::less<>> index;

    row& find_or_add(std::vector<std::string> values);
    template <class T>
    T handle(row& r) noexcept;
    template <class T>
    static family<T> make(family_impl* f) noexcept {
        return family<T>{f};
    }
    void fill(family_snapshot& out) const;
};

/// Something a scrape reads besides the families: the framework's counters, /proc, the
/// connection gauges of a server.
using source = std::function<void(snapshot&)>;

/// Add a source; it runs on the loop at every scrape of this process.
void add_source(source s);

/// Everything this process counts, in a fixed order (framework first, then the application).
snapshot collect();

/// Add a row to `s`'s family `name`, making the family when it is new.
family_snapshot& family_of(snapshot& s, std::string_view name, std::string_view help, kind k,
                           std::vector<std::string> label_names = {});

} // namespace nodus::metrics::detail
