// The status page: one self-contained HTML document (inline CSS and vanilla JS, no external
// asset, so it works on a machine with no way out) that polls its JSON once a second and
// draws the rates, percentiles and gauges from the differences between two polls.
#include "admin/detail/status.hpp"

#include <fmt/format.h>

#include <iterator>

namespace nodus::admin::detail {

namespace mdetail = nodus::metrics::detail;

namespace {

constexpr std::string_view page_head = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nodus status</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,">
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222}
h1{font-size:1.3em;margin:0 0 .6em}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:1em}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8em}
.card h2{font-size:1em;margin:0 0 .4em}
.num{font-size:1.4em;font-variant-numeric:tabular-nums}
canvas{width:100%;height:120px}
.legend span{margin-right:1em}
table{border-collapse:collapse;width:100%}td,th{text-align:right;padding:2px 6px}
#state.bad{color:#b00}
.bar{background:#1f77b4;height:4px;margin-left:auto}
</style></head><body>
<h1>nodus status <span id="state">…</span></h1>
<div class="grid">
<div class="card"><h2>Requests/s <span class="num" id="rps">0</span></h2>
<div>total <span id="total-requests">0</span></div><canvas id="c-rps"></canvas></div>
<div class="card"><h2>Latency (p50 / p90 / p99, ms)</h2>
<div class="num"><span id="p50">-</span> / <span id="p90">-</span> / <span id="p99">-</span></div>
<canvas id="c-lat"></canvas></div>
<div class="card"><h2>Status codes/s</h2><div class="legend" id="codes"></div><canvas id="c-codes"></canvas></div>
<div class="card"><h2>Connections</h2><div class="legend">open <span id="conn-open">0</span>
active <span id="conn-active">0</span> parked <span id="conn-parked">0</span></div><canvas id="c-conn"></canvas></div>
<div class="card"><h2>Event-loop lag p99 (ms) <span class="num" id="lag">0</span></h2><canvas id="c-lag"></canvas></div>
<div class="card"><h2>Workers</h2><table><thead><tr><th>worker</th><th>pid</th><th>req/s</th>
<th>requests</th><th>connections</th><th>ready</th></tr></thead><tbody id="workers"></tbody></table></div>
</div>
<script>
)html";

constexpr std::string_view page_script = R"js(
"use strict";
const N = 60, colors = ["#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd"];
const hist = {rps: [[]], lat: [[], [], []], codes: [[], [], [], [], []], conn: [[], [], []], lag: [[]]};
let prev = null;
function push(series, values) {
  values.forEach((v, i) => { series[i].push(v); if (series[i].length > N) series[i].shift(); });
}
function draw(id, series) {
  const c = document.getElementById(id), w = c.clientWidth, h = c.clientHeight;
  c.width = w; c.height = h;
  const g = c.getContext("2d");
  let max = 1;
  series.forEach(s => s.forEach(v => { if (v > max) max = v; }));
  g.strokeStyle = "#eee"; g.beginPath(); g.moveTo(0, h - 0.5); g.lineTo(w, h - 0.5); g.stroke();
  g.fillStyle = "#888"; g.fillText(max.toPrecision(3), 2, 10);
  series.forEach((s, k) => {
    g.strokeStyle = colors[k % colors.length]; g.beginPath();
    s.forEach((v, i) => {
      const x = (i + N - s.length) * w / (N - 1), y = h - 2 - (v / max) * (h - 14);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  });
}
function diff(a, b) { return a.map((v, i) => v - ((b && b[i]) || 0)); }
function quantile(bounds, counts, q) {
  const total = counts.reduce((s, v) => s + v, 0);
  if (total <= 0) return null;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= q * total) return i < bounds.length ? bounds[i] : bounds[bounds.length - 1];
  }
  return bounds[bounds.length - 1];
}
function text(id, v) { document.getElementById(id).textContent = v; }
function ms(v) { return v === null ? "-" : (v * 1000).toFixed(v < 0.001 ? 2 : 1); }
function update(d) {
  const now = performance.now() / 1000;
  text("total-requests", d.requests);
  const st = document.getElementById("state");
  st.textContent = d.ready ? "ready" : "not ready"; st.className = d.ready ? "" : "bad";
  text("conn-open", d.connections.open); text("conn-active", d.connections.active);
  text("conn-parked", d.connections.parked);
  if (prev) {
    const dt = Math.max(now - prev.t, 0.001);
    const rps = (d.requests - prev.d.requests) / dt;
    text("rps", rps.toFixed(1));
    const dd = diff(d.duration.counts, prev.d.duration.counts);
    const q = [0.5, 0.9, 0.99].map(p => quantile(d.duration.bounds, dd, p));
    text("p50", ms(q[0])); text("p90", ms(q[1])); text("p99", ms(q[2]));
    const classes = ["1xx", "2xx", "3xx", "4xx", "5xx"];
    const codes = classes.map(c => (d.status[c] - prev.d.status[c]) / dt);
    document.getElementById("codes").innerHTML =
      classes.map((c, i) => `<span style="color:${colors[i]}">${c} ${codes[i].toFixed(1)}</span>`).join("");
    const lq = quantile(d.lag.bounds, diff(d.lag.counts, prev.d.lag.counts), 0.99);
    text("lag", ms(lq));
    push(hist.rps, [rps]);
    push(hist.lat, q.map(v => (v || 0) * 1000));
    push(hist.codes, codes);
    push(hist.lag, [(lq || 0) * 1000]);
    const before = new Map(prev.d.workers.map(w => [w.id + ":" + w.pid, w.requests]));
    const rates = d.workers.map(w => (w.requests - (before.get(w.id + ":" + w.pid) ?? w.requests)) / dt);
    const top = Math.max(1, ...rates);
    document.getElementById("workers").innerHTML = d.workers.map((w, i) =>
      `<tr><td>${w.id || "-"}</td><td>${w.pid}</td><td>${rates[i].toFixed(1)}` +
      `<div class="bar" style="width:${(100 * rates[i] / top).toFixed(0)}%"></div></td><td>${w.requests}</td>` +
      `<td>${w.connections}</td><td>${w.ready ? "yes" : "no"}</td></tr>`).join("");
  }
  push(hist.conn, [d.connections.open, d.connections.active, d.connections.parked]);
  draw("c-rps", hist.rps); draw("c-lat", hist.lat); draw("c-codes", hist.codes);
  draw("c-conn", hist.conn); draw("c-lag", hist.lag);
  prev = {t: now, d: d};
}
async function poll() {
  try {
    const r = await fetch(JSON_PATH, {cache: "no-store"});
    if (r.ok) update(await r.json());
  } catch (e) {
    document.getElementById("state").textContent = "unreachable";
  }
  setTimeout(poll, 1000);
}
poll();
</script></body></html>
)js";

void append_json_number(std::string& out, double v) {
    if (v != v || v > 1e300 || v < -1e300) v = 0; // JSON has no NaN or infinity
    fmt::format_to(std::back_inserter(out), "{}", v);
}

const mdetail::family_snapshot* find(const mdetail::snapshot& s, std::string_view name) {
    for (const auto& f : s)
        if (f.name == name) return &f;
    return nullptr;
}

double sum_of(const mdetail::snapshot& s, std::string_view name) {
    double v = 0;
    if (auto* f = find(s, name))
        for (const auto& r : f->rows) v += r.value;
    return v;
}

// All rows of a histogram family added up: {"bounds":[...],"counts":[...]}.
void append_histogram(std::string& out, const mdetail::snapshot& s, std::string_view name) {
    auto* f = find(s, name);
    std::vector<double> counts(f ? f->bounds.size() + 1 : 1, 0);
    if (f)
        for (const auto& r : f->rows)
            for (std::size_t i = 0; i < r.buckets.size() && i < counts.size(); ++i)
                counts[i] += static_cast<double>(r.buckets[i]);
    out += "{\"bounds\":[";
    if (f)
        for (std::size_t i = 0; i < f->bounds.size(); ++i) {
            if (i) out.push_back(',');
            append_json_number(out, f->bounds[i]);
        }
    out += "],\"counts\":[";
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (i) out.push_back(',');
        append_json_number(out, counts[i]);
    }
    out += "]}";
}

} // namespace

std::string status_html(std::string_view json_path) {
    std::string out;
    out.reserve(page_head.size() + page_script.size() + 64);
    out += page_head;
    out += "const JSON_PATH = \"";
    out += json_path; // a configured path: no quote, backslash or control character
    out += "\";";
    out += page_script;
    return out;
}

std::string status_json(const mdetail::snapshot& s, const std::vector<worker_load>& workers, bool ready) {
    std::string out = "{\"ready\":";
    out += ready ? "true" : "false";
    double classes[5] = {};
    double total = 0;
    if (auto* f = find(s, "nodus_http_requests"))
        for (const auto& r : f->rows) {
            total += r.value;
            if (r.labels.size() == 3 && r.labels[2].size() == 3 && r.labels[2][0] >= '1' &&
                r.labels[2][0] <= '5')
                classes[r.labels[2][0] - '1'] += r.value;
        }
    out += ",\"requests\":";
    append_json_number(out, total);
    out += ",\"status\":{";
    for (int i = 0; i < 5; ++i) {
        fmt::format_to(std::back_inserter(out), "{}\"{}xx\":", i ? "," : "", i + 1);
        append_json_number(out, classes[i]);
    }
    out += "},\"bytes_in\":";
    append_json_number(out, sum_of(s, "nodus_http_received_bytes"));
    out += ",\"bytes_out\":";
    append_json_number(out, sum_of(s, "nodus_http_sent_bytes"));
    out += ",\"connections\":{\"open\":";
    append_json_number(out, sum_of(s, "nodus_http_connections_open"));
    out += ",\"active\":";
    append_json_number(out, sum_of(s, "nodus_http_connections_active"));
    out += ",\"parked\":";
    append_json_number(out, sum_of(s, "nodus_http_connections_parked"));
    out += "},\"duration\":";
    append_histogram(out, s, "nodus_http_request_duration_seconds");
    out += ",\"lag\":";
    append_histogram(out, s, "nodus_loop_lag_seconds");
    out += ",\"workers\":[";
    for (std::size_t i = 0; i < workers.size(); ++i) {
        const auto& w = workers[i];
        fmt::format_to(std::back_inserter(out),
                       "{}{{\"id\":{},\"pid\":{},\"requests\":{},\"connections\":{},\"ready\":{}}}",
                       i ? "," : "", w.id, w.pid, w.requests, w.connections, w.ready ? "true" : "false");
    }
    out += "]}";
    return out;
}

} // namespace nodus::admin::detail
