// The metrics module without sockets: the application API, the snapshot a worker sends, the
// master's merge and the text formats.
#include <gtest/gtest.h>

#include <nodus/metrics/metrics.hpp>

#include "metrics/detail/http_stats.hpp"
#include "metrics/detail/registry.hpp"
#include "metrics/detail/snapshot.hpp"

#include <stdexcept>

namespace m = nodus::metrics;
namespace md = nodus::metrics::detail;

namespace {

const md::family_snapshot* find(const md::snapshot& s, std::string_view name) {
    for (const auto& f : s)
        if (f.name == name) return &f;
    return nullptr;
}

md::snapshot sample_snapshot() {
    md::snapshot s;
    s.push_back(
        {"req", "Requests.", md::kind::counter, {"route"}, {}, {{{"/a"}, 3, {}, 0}, {{"/b"}, 1, {}, 0}}});
    s.push_back({"fds", "Fds.", md::kind::gauge, {}, {}, {{{}, 7, {}, 0}}});
    s.push_back({"dur", "Dur.", md::kind::histogram, {}, {0.1, 1}, {{{}, 0, {2, 1, 1}, 2.5}}});
    return s;
}

} // namespace

TEST(metrics, counters_gauges_and_histograms_count) {
    auto jobs = m::add_counter("unit_jobs_total", "Jobs.", {"kind"});
    auto a = jobs.with({"a"});
    a.inc();
    a.inc(2);
    a.inc(-5); // a counter never goes down
    EXPECT_EQ(a.value(), 3);
    EXPECT_EQ(jobs.with({"a"}).value(), 3) << "the same labels are the same series";
    EXPECT_EQ(jobs.with({"b"}).value(), 0);
    auto g = m::add_gauge("unit_queue", "Queue.").with({});
    g.set(5);
    g.dec();
    EXPECT_EQ(g.value(), 4);
    auto h = m::add_histogram("unit_size", "Size.", {1, 10}).with({});
    h.observe(0.5);
    h.observe(1); // bounds are inclusive
    h.observe(50);
    auto s = md::collect();
    auto* f = find(s, "unit_size");
    ASSERT_TRUE(f);
    ASSERT_EQ(f->rows.size(), 1u);
    EXPECT_EQ(f->rows[0].buckets, (std::vector<std::uint64_t>{2, 0, 1}));
    EXPECT_DOUBLE_EQ(f->rows[0].sum, 51.5);
    auto* c = find(s, "unit_jobs");
    ASSERT_TRUE(c) << "a counter's family is named without _total";
    EXPECT_EQ(c->rows.size(), 2u);
}

TEST(metrics, declarations_are_checked) {
    EXPECT_THROW(m::add_counter("unit_no_suffix", "x"), std::invalid_argument);
    EXPECT_THROW(m::add_gauge("1bad", "x"), std::invalid_argument);
    EXPECT_THROW(m::add_counter("nodus_http_requests_total", "x"), std::invalid_argument);
    EXPECT_THROW(m::add_gauge("process_open_fds", "x"), std::invalid_argument);
    EXPECT_THROW(m::add_gauge("unit_g", "x", {"worker"}), std::invalid_argument);
    EXPECT_THROW(m::add_gauge("unit_g2", "x", {"__x"}), std::invalid_argument);
    EXPECT_THROW(m::add_gauge("unit_g3", "x", {"a", "a"}), std::invalid_argument);
    EXPECT_THROW(m::add_histogram("unit_h", "x", {2, 1}), std::invalid_argument);
    auto f = m::add_gauge("unit_twice", "x", {"a"});
    EXPECT_NO_THROW(m::add_gauge("unit_twice", "x", {"a"}));
    EXPECT_THROW(m::add_gauge("unit_twice", "x", {"b"}), std::invalid_argument);
    EXPECT_THROW(f.with({"1", "2"}), std::invalid_argument);
    m::add_gauge_callback("unit_cb", "Callback.", [] { return 42.0; });
    auto s = md::collect();
    auto* cb = find(s, "unit_cb");
    ASSERT_TRUE(cb);
    EXPECT_EQ(cb->rows.at(0).value, 42);
}

TEST(metrics, snapshot_round_trip_and_malformed_input) {
    auto s = sample_snapshot();
    auto bytes = md::encode(s);
    md::snapshot back;
    ASSERT_TRUE(md::decode(bytes, back));
    EXPECT_EQ(md::encode(back), bytes);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        md::snapshot cut;
        EXPECT_FALSE(md::decode(std::string_view(bytes).substr(0, n), cut)) << "truncated at " << n;
    }
    EXPECT_FALSE(md::decode(bytes + "x", back)) << "trailing bytes";
    std::string huge = "\xff\xff\xff\x7f";
    EXPECT_FALSE(md::decode(huge, back)) << "a count the input cannot hold";
}

TEST(metrics, merge_sums_counters_and_histograms_and_labels_gauges) {
    md::snapshot all;
    md::merge(all, sample_snapshot(), "1");
    md::merge(all, sample_snapshot(), "2");
    auto* req = find(all, "req");
    ASSERT_TRUE(req);
    ASSERT_EQ(req->rows.size(), 2u);
    EXPECT_EQ(req->rows[0].value, 6);
    auto* fds = find(all, "fds");
    ASSERT_TRUE(fds);
    EXPECT_EQ(fds->label_names, (std::vector<std::string>{"worker"}));
    ASSERT_EQ(fds->rows.size(), 2u);
    EXPECT_EQ(fds->rows[1].labels, (std::vector<std::string>{"2"}));
    auto* dur = find(all, "dur");
    ASSERT_TRUE(dur);
    EXPECT_EQ(dur->rows[0].buckets, (std::vector<std::uint64_t>{4, 2, 2}));
    EXPECT_DOUBLE_EQ(dur->rows[0].sum, 5);
}

TEST(metrics, merge_apart_labels_every_series) {
    md::snapshot all;
    md::merge(all, sample_snapshot(), "1", true);
    md::merge(all, sample_snapshot(), "2", true);
    auto* req = find(all, "req");
    ASSERT_TRUE(req);
    EXPECT_EQ(req->label_names, (std::vector<std::string>{"worker", "route"}));
    EXPECT_EQ(req->rows.size(), 4u);
    EXPECT_EQ(req->rows[0].value, 3);
}

TEST(metrics, text_formats) {
    auto s = sample_snapshot();
    s[0].help = "Line\nwith \\ backslash";
    s[0].rows[0].labels[0] = "q\"uote\n";
    auto text = md::render(s, false);
    EXPECT_NE(text.find("# HELP req_total Line\\nwith \\\\ backslash\n# TYPE req_total counter\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("req_total{route=\"q\\\"uote\\n\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("dur_bucket{le=\"0.1\"} 2\ndur_bucket{le=\"1\"} 3\ndur_bucket{le=\"+Inf\"} 4\n"
                        "dur_sum 2.5\ndur_count 4\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("# EOF"), std::string::npos);
    auto om = md::render(s, true);
    EXPECT_NE(om.find("# TYPE req counter\n"), std::string::npos) << om;
    EXPECT_NE(om.find("dur_bucket{le=\"1.0\"} 3\n"), std::string::npos) << om;
    EXPECT_TRUE(om.ends_with("# EOF\n"));
}

TEST(metrics, accept_header_chooses_openmetrics) {
    EXPECT_TRUE(md::wants_openmetrics("application/openmetrics-text; version=1.0.0"));
    EXPECT_TRUE(md::wants_openmetrics("text/plain;q=0.5, Application/OpenMetrics-Text"));
    EXPECT_FALSE(md::wants_openmetrics("text/plain"));
    EXPECT_FALSE(md::wants_openmetrics(""));
}

TEST(metrics, request_counting_is_bounded) {
    EXPECT_EQ(md::method_index("GET"), 0u);
    EXPECT_EQ(md::method_index("PATCH"), 5u);
    EXPECT_EQ(md::method_index("BREW"), md::method_count - 1);
    auto id = md::intern_route("/unit/:x");
    EXPECT_EQ(md::intern_route("/unit/:x"), id);
    md::record_request(id, "GET", 204, 0.0003);
    md::record_request(id, "GET", 700, 99); // out of range: the last class, the +Inf bucket
    md::record_request(9999, "GET", 200, 0); // an unknown route counts as unmatched
    auto& r = *md::g_http.routes[id];
    EXPECT_EQ(r.requests[0][1], 1u);
    EXPECT_EQ(r.requests[0][4], 1u);
    EXPECT_EQ(r.buckets[2], 1u); // 0.0003 s: the 0.0005 bucket
    EXPECT_EQ(r.buckets.back(), 1u);
    md::record_rejected(431);
    md::record_rejected(418);
    EXPECT_EQ(md::g_http.rejected[5], 1u);
    EXPECT_EQ(md::g_http.rejected.back(), 1u);
}
