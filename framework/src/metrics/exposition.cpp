// The text exposition formats: Prometheus 0.0.4 and OpenMetrics 1.0.
#include "metrics/detail/snapshot.hpp"

#include "text/detail/char_class.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

namespace nodus::metrics::detail {

namespace {

void append_number(std::string& out, double v) {
    if (std::isnan(v)) out += "NaN";
    else if (std::isinf(v)) out += v > 0 ? "+Inf" : "-Inf";
    else fmt::format_to(std::back_inserter(out), "{}", v);
}

// HELP text escapes backslash and newline; label values also the double quote.
void append_escaped(std::string& out, std::string_view s, bool quote) {
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && quote) out += "\\\"";
        else out.push_back(c);
    }
}

void append_labels(std::string& out, const family_snapshot& f, const series& row, std::string_view le) {
    if (f.label_names.empty() && le.empty()) return;
    out.push_back('{');
    bool first = true;
    for (std::size_t i = 0; i < f.label_names.size() && i < row.labels.size(); ++i) {
        if (!first) out.push_back(',');
        first = false;
        out += f.label_names[i];
        out += "=\"";
        append_escaped(out, row.labels[i], true);
        out.push_back('"');
    }
    if (!le.empty()) {
        if (!first) out.push_back(',');
        out += "le=\"";
        out += le;
        out.push_back('"');
    }
    out.push_back('}');
}

void append_sample(std::string& out, const family_snapshot& f, const series& row, std::string_view suffix,
                   std::string_view le, double v) {
    out += f.name;
    out += suffix;
    append_labels(out, f, row, le);
    out.push_back(' ');
    append_number(out, v);
    out.push_back('\n');
}

void append_histogram(std::string& out, const family_snapshot& f, const series& row, bool openmetrics) {
    std::uint64_t cumulative = 0;
    std::string le;
    for (std::size_t i = 0; i < row.buckets.size(); ++i) {
        cumulative += row.buckets[i];
        le.clear();
        if (i < f.bounds.size()) {
            append_number(le, f.bounds[i]);
            // OpenMetrics wants a canonical float in `le`: "1.0", not "1".
            if (openmetrics && le.find_first_of(".eEI") == std::string::npos) le += ".0";
        } else {
            le = "+Inf";
        }
        append_sample(out, f, row, "_bucket", le, static_cast<double>(cumulative));
    }
    append_sample(out, f, row, "_sum", {}, row.sum);
    append_sample(out, f, row, "_count", {}, static_cast<double>(cumulative));
}

const char* type_name(kind k) {
    switch (k) {
    case kind::counter: return "counter";
    case kind::gauge: return "gauge";
    case kind::histogram: return "histogram";
    }
    return "untyped";
}

} // namespace

std::string render(const snapshot& s, bool openmetrics) {
    std::string out;
    out.reserve(4096);
    for (const auto& f : s) {
        // Prometheus 0.0.4 names a counter's family by its sample; OpenMetrics without _total.
        const bool total = f.k == kind::counter;
        std::string_view family_suffix = total && !openmetrics ? "_total" : "";
        out += "# HELP ";
        out += f.name;
        out += family_suffix;
        out.push_back(' ');
        append_escaped(out, f.help, false);
        out += "\n# TYPE ";
        out += f.name;
        out += family_suffix;
        out.push_back(' ');
        out += type_name(f.k);
        out.push_back('\n');
        for (const auto& row : f.rows) {
            if (f.k == kind::histogram) append_histogram(out, f, row, openmetrics);
            else append_sample(out, f, row, total ? "_total" : "", {}, row.value);
        }
    }
    if (openmetrics) out += "# EOF\n";
    return out;
}

bool wants_openmetrics(std::string_view accept) noexcept {
    constexpr std::string_view type = "application/openmetrics-text";
    for (std::size_t i = 0; i + type.size() <= accept.size(); ++i)
        if (nodus::detail::iequals(accept.substr(i, type.size()), type)) return true;
    return false;
}

} // namespace nodus::metrics::detail
