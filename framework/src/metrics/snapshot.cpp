// A snapshot's wire form between a worker and its master, and the master's merge.
#include "metrics/detail/snapshot.hpp"

#include <algorithm>
#include <cstring>
#include <map>

namespace nodus::metrics::detail {

namespace {

class writer {
public:
    explicit writer(std::string& out) : out_(out) {}
    void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(std::uint32_t v) { raw(&v, sizeof v); }
    void u64(std::uint64_t v) { raw(&v, sizeof v); }
    void f64(double v) { raw(&v, sizeof v); }
    void str(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out_.append(s);
    }

private:
    void raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
    std::string& out_;
};

// Every read checks what is left: the bytes come from another process.
class reader {
public:
    explicit reader(std::string_view in) : in_(in) {}
    bool u8(std::uint8_t& v) { return raw(&v, sizeof v); }
    bool u32(std::uint32_t& v) { return raw(&v, sizeof v); }
    bool u64(std::uint64_t& v) { return raw(&v, sizeof v); }
    bool f64(double& v) { return raw(&v, sizeof v); }
    bool str(std::string& s) {
        std::uint32_t n = 0;
        if (!u32(n) || n > in_.size()) return false;
        s.assign(in_.substr(0, n));
        in_.remove_prefix(n);
        return true;
    }
    // A count of items of at least `each` bytes that the rest could hold.
    bool count(std::uint32_t& n, std::size_t each) { return u32(n) && n <= in_.size() / each; }
    bool empty() const noexcept { return in_.empty(); }

private:
    bool raw(void* p, std::size_t n) {
        if (in_.size() < n) return false;
        std::memcpy(p, in_.data(), n);
        in_.remove_prefix(n);
        return true;
    }
    std::string_view in_;
};

bool decode_row(reader& r, const family_snapshot& f, series& row) {
    row.labels.resize(f.label_names.size());
    for (auto& l : row.labels)
        if (!r.str(l)) return false;
    if (f.k != kind::histogram) return r.f64(row.value);
    row.buckets.resize(f.bounds.size() + 1);
    for (auto& b : row.buckets)
        if (!r.u64(b)) return false;
    return r.f64(row.sum);
}

bool decode_family(reader& r, family_snapshot& f) {
    std::uint8_t k = 0;
    std::uint32_t n = 0;
    if (!r.str(f.name) || !r.str(f.help) || !r.u8(k) || k > 2) return false;
    f.k = static_cast<kind>(k);
    if (!r.count(n, 4)) return false;
    f.label_names.resize(n);
    for (auto& l : f.label_names)
        if (!r.str(l)) return false;
    if (!r.count(n, 8)) return false;
    f.bounds.resize(n);
    for (auto& b : f.bounds)
        if (!r.f64(b)) return false;
    if (!r.count(n, 8)) return false;
    f.rows.resize(n);
    for (auto& row : f.rows)
        if (!decode_row(r, f, row)) return false;
    return true;
}

using row_key = std::vector<std::string>;

void add_row(series& into, const series& in) {
    into.value += in.value;
    into.sum += in.sum;
    for (std::size_t i = 0; i < into.buckets.size() && i < in.buckets.size(); ++i)
        into.buckets[i] += in.buckets[i];
}

bool same_shape(const family_snapshot& a, const family_snapshot& b) {
    return a.k == b.k && a.label_names == b.label_names && a.bounds == b.bounds;
}

} // namespace

std::string encode(const snapshot& s) {
    std::string out;
    writer w(out);
    w.u32(static_cast<std::uint32_t>(s.size()));
    for (const auto& f : s) {
        w.str(f.name);
        w.str(f.help);
        w.u8(static_cast<std::uint8_t>(f.k));
        w.u32(static_cast<std::uint32_t>(f.label_names.size()));
        for (const auto& l : f.label_names) w.str(l);
        w.u32(static_cast<std::uint32_t>(f.bounds.size()));
        for (double b : f.bounds) w.f64(b);
        w.u32(static_cast<std::uint32_t>(f.rows.size()));
        for (const auto& row : f.rows) {
            for (const auto& l : row.labels) w.str(l);
            if (f.k == kind::histogram) {
                for (auto b : row.buckets) w.u64(b);
                w.f64(row.sum);
            } else {
                w.f64(row.value);
            }
        }
    }
    return out;
}

bool decode(std::string_view bytes, snapshot& out) {
    reader r(bytes);
    std::uint32_t n = 0;
    if (!r.count(n, 13)) return false;
    out.assign(n, {});
    for (auto& f : out)
        if (!decode_family(r, f)) return false;
    return r.empty();
}

void merge(snapshot& into, const snapshot& in, std::string_view worker, bool apart) {
    for (const auto& f : in) {
        auto it = std::find_if(into.begin(), into.end(), [&](const auto& x) { return x.name == f.name; });
        family_snapshot shaped = f;
        const bool per_worker = (f.k == kind::gauge || apart) &&
            std::find(f.label_names.begin(), f.label_names.end(), "worker") == f.label_names.end();
        if (per_worker) {
            shaped.label_names.insert(shaped.label_names.begin(), "worker");
            for (auto& row : shaped.rows) row.labels.insert(row.labels.begin(), std::string(worker));
        }
        if (it == into.end()) {
            into.push_back(std::move(shaped));
            continue;
        }
        if (!same_shape(*it, shaped)) continue;
        std::map<row_key, std::size_t> at;
        for (std::size_t i = 0; i < it->rows.size(); ++i) at.emplace(it->rows[i].labels, i);
        for (auto& row : shaped.rows) {
            auto found = at.find(row.labels);
            if (found == at.end()) it->rows.push_back(std::move(row));
            else if (f.k == kind::gauge) it->rows[found->second].value = row.value;
            else add_row(it->rows[found->second], row);
        }
    }
}

} // namespace nodus::metrics::detail
