#!/usr/bin/env python3
"""Turn bench/run.sh's raw data (runs.tsv, idle.tsv, slow.tsv, machine.txt) into markdown tables.

    summarize.py --dir RESULTS_DIR --clk-tck 100 [--reps 3 --duration 10 --depth 16]

Per server and load, each figure is the median over the repetitions, taken separately:
  req/s          = requests / wrk's duration
  CPU µs/req     = (Δutime + Δstime of the server, in clock ticks) * 1e6 / CLK_TCK / requests
  server CPU     = Δ(utime + stime) / wrk's duration (100 % = CPU 0 fully busy)
Ratios are nodus (or any server) divided by nginx, computed from the medians.
"""
import argparse
import csv
import math
import os
import statistics

ORDER = ["nodus", "node", "nginx", "beast", "floor", "uring"]
LABEL = {"nodus": "nodus", "node": "Node.js", "nginx": "nginx", "beast": "Beast (plain)",
         "floor": "floor (epoll)", "uring": "floor (io_uring)"}


def load_label(load, depth):
    return {"c100": "100 conns", "c1000": "1000 conns",
            "pipe16": f"100 conns, pipelined x{depth}",
            "ab50": "HTTP/1.0 keep-alive, ab -k -c50"}.get(load, load)


def fmt_ms(us):
    return f"{us / 1000:.2f} ms" if us < 100_000 else f"{us / 1000:.0f} ms"


def pct(x):
    return "–" if math.isnan(x) else f"{x:.0f} %"


def ratio(a, b):
    if not b or a is None or b is None or math.isnan(a) or math.isnan(b):
        return "–"
    return f"{a / b:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--clk-tck", type=int, required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--depth", type=int, default=16)
    ap.add_argument("--big-note", default="")
    args = ap.parse_args()
    hz = args.clk_tck

    runs = {}
    with open(os.path.join(args.dir, "runs.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            req = int(row["requests"])
            dur = int(row["duration_us"]) / 1e6
            ticks = int(row["cpu_ticks"])
            others = max(0, int(row.get("cpu0_busy") or ticks) - ticks)
            runs.setdefault((row["server"], row["load"]), []).append({
                "rps": req / dur if dur else float("nan"),
                "cpu_us": ticks * 1e6 / hz / req if req else float("nan"),
                "util": ticks / hz / dur * 100 if dur else float("nan"),
                "others": others / hz / dur * 100 if dur else float("nan"),
                "wait": int(row["wait_ns"]) / 1e9 / dur * 100
                        if dur and row.get("wait_ns") not in (None, "") else float("nan"),
                "p50": int(row["p50_us"]),
                "p99": int(row["p99_us"]),
                "errors": int(row["errors"]),
                "closed": int(row.get("closed") or 0),
            })

    med = {}
    for key, rs in runs.items():
        med[key] = {k: statistics.median(r[k] for r in rs) for k in ("rps", "cpu_us", "util", "others", "wait", "p50", "p99")}
        med[key]["n"] = len(rs)
        med[key]["errors"] = sum(r["errors"] for r in rs)
        med[key]["closed"] = sum(r["closed"] for r in rs)

    servers = [s for s in ORDER if any(k[0] == s for k in med)]
    loads = [l for l in ("c100", "c1000", "pipe16", "ab50") if any(k[1] == l for k in med)]

    print("### Machine\n")
    machine = os.path.join(args.dir, "machine.txt")
    if os.path.exists(machine):
        with open(machine) as f:
            for line in f:
                print(f"    {line.rstrip()}")
    print()

    print("### Throughput and CPU per request\n")
    print(f"Median of {args.reps} interleaved run(s) of {args.duration} s each; server on CPU 0, "
          f"the client (`wrk -t1`, or `ab -k -c50` for HTTP/1.0) on CPU 1. CPU µs/req = Δ(utime + stime) of the whole server process / "
          f"requests (clock tick = {1e6 / hz:.0f} µs). \"Server CPU\" is that time over the run's "
          f"duration (100 % = CPU 0 fully used). \"Waited\" is the time the server was ready to "
          f"run but another program held CPU 0 (`/proc/PID/task/*/schedstat`), over the duration: "
          f"above a few per cent the run was disturbed. Pipelined runs send {args.depth} requests per write; wrk's latency "
          f"percentiles are not valid for them (its coordinated-omission correction assumes one "
          f"response per request interval), so none are shown. ab's percentiles are whole milliseconds. "
          f"An HTTP/1.0 answer that does not keep the connection makes ab open another for the next "
          f"request; those are counted as \"answers closed the connection\", and that server's CPU "
          f"per request then includes a connection's setup and teardown.\n")
    print("| load | server | req/s | CPU µs/req | server CPU | waited | p50 | p99 | CPU/req ÷ nginx | req/s ÷ nginx |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    busy = []
    for load in loads:
        base = med.get(("nginx", load))
        for s in servers:
            m = med.get((s, load))
            if m is None:
                continue
            note = f" ({m['n']} runs)" if m["n"] != args.reps else ""
            err = f", {m['errors']} errors" if m["errors"] else ""
            if m["closed"]:
                err += f", {m['closed']:,} answers closed the connection"
            if load.startswith("pipe"):
                p50 = p99 = "–"
            else:
                p50, p99 = fmt_ms(m["p50"]), fmt_ms(m["p99"])
            if m["wait"] > 5:
                busy.append(f"{LABEL[s]} ({load_label(load, args.depth)})")
            print(f"| {load_label(load, args.depth)} | {LABEL[s]}{note}{err} | {m['rps']:,.0f} | "
                  f"{m['cpu_us']:.2f} | {m['util']:.0f} % | {pct(m['wait'])} | {p50} | {p99} | "
                  f"{ratio(m['cpu_us'], base and base['cpu_us'])} | {ratio(m['rps'], base and base['rps'])} |")
    print()
    if busy:
        print(f"**Disturbed:** the server waited for CPU 0 more than 5 % of the time during: {'; '.join(busy)}. "
              f"Those req/s are low and CPU per request high; rerun on a quiet machine.\n")

    idle_path = os.path.join(args.dir, "idle.tsv")
    idle = []
    if os.path.exists(idle_path):
        with open(idle_path) as f:
            for row in csv.DictReader(f, delimiter="\t"):
                kv = dict(item.split("=", 1) for item in row["result"].split())
                idle.append((row["server"], int(row["conns"]), kv))
    silent = [t for t in idle if "rss_silent_kb" in t[2]]
    idle = [t for t in idle if "rss_silent_kb" not in t[2]]
    if idle:
        print("### Memory per idle keep-alive connection\n")
        print("Fresh server, one warm-up request, then N connections each make one request and stay "
              "open; VmRSS read 2 s after. Bytes per connection = ΔVmRSS / N (user-space memory only; "
              "kernel socket buffers are not in RSS). \"Fresh request\" is connect + request + "
              "response on a new connection while the N are held (median / max of 5).\n")
        print("| server | connections | still open | VmRSS before | VmRSS after | bytes / connection | fresh request |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        for s, n, kv in sorted(idle, key=lambda t: (t[1], ORDER.index(t[0]))):
            opened = int(kv.get("opened", 0))
            fails = f" ({kv['failed']} failed)" if kv.get("failed", "0") != "0" else ""
            print(f"| {LABEL[s]} | {opened:,}{fails} | {int(kv.get('still_open', 0)):,} | "
                  f"{int(kv['rss_before_kb']) / 1024:.1f} MiB | {int(kv['rss_after_kb']) / 1024:.1f} MiB | "
                  f"{float(kv['bytes_per_conn']):,.0f} | {kv['fresh_ms']} / {kv['fresh_max_ms']} ms |")
        if args.big_note:
            print(f"\nLarge run: {args.big_note}.")
        print()

    if silent:
        print("### A burst of silent connections\n")
        print("Fresh server; N clients connect and send nothing for 3 s (VmRSS read: \"silent\"), then "
              "each sends one request and stays open (VmRSS 2 s later: \"after request\"); then all "
              "close and VmRSS is read 5 s later. Bytes per connection = ΔVmRSS / N.\n")
        print("| server | connections | bytes / conn, silent | bytes / conn, after request | VmRSS before | "
              "5 s after close | back within |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        for s_, n, kv in sorted(silent, key=lambda t: (t[1], ORDER.index(t[0]))):
            before, closed = int(kv["rss_before_kb"]), int(kv["rss_closed_kb"])
            print(f"| {LABEL[s_]} | {int(kv.get('opened', 0)):,} | {float(kv['silent_bytes_per_conn']):,.0f} | "
                  f"{float(kv['bytes_per_conn']):,.0f} | {before / 1024:.1f} MiB | {closed / 1024:.1f} MiB | "
                  f"{(closed - before) / 1024:+.2f} MiB |")
        print()

    slow_path = os.path.join(args.dir, "slow.tsv")
    slow = []
    if os.path.exists(slow_path):
        with open(slow_path) as f:
            for row in csv.DictReader(f, delimiter="\t"):
                slow.append((row["server"], dict(item.split("=", 1) for item in row["result"].split())))
    writers = [t for t in slow if t[1].get("mode") == "writers"]
    readers = [t for t in slow if t[1].get("mode") == "readers"]
    if writers:
        print("### Slow writers\n")
        print("Fresh server; N clients send a 52-byte head one byte per connection every 50 ms, then "
              "read the answer. Bytes per connection = ΔVmRSS / N halfway through the heads; CPU per "
              "request = the server's CPU time over the whole exchange / N (52 reads per request); "
              "\"fresh request\" is one new connection answered meanwhile.\n")
        print("| server | connections | answered 200 | bytes / conn, head half sent | CPU µs / request | fresh request |")
        print("|---|--:|--:|--:|--:|--:|")
        for s_, kv in sorted(writers, key=lambda t: ORDER.index(t[0])):
            print(f"| {LABEL[s_]} | {int(kv['conns']):,} | {int(kv['ok']):,} | "
                  f"{float(kv['mid_bytes_per_conn']):,.0f} | {float(kv['cpu_us_per_request']):,.1f} | "
                  f"{kv['fresh_ms']} ms |")
        print()
    if readers:
        print("### Slow readers\n")
        print("Fresh server; N clients (4 KiB receive buffers) each send D pipelined requests at once and "
              "read nothing for 3 s; then they read everything. Bytes per connection = ΔVmRSS / N while "
              "they stall; \"whole\" = connections that got all D answers, in order.\n")
        print("| server | connections × pipelined | whole | bytes / conn, stalled | VmRSS before | VmRSS after reading |")
        print("|---|--:|--:|--:|--:|--:|")
        for s_, kv in sorted(readers, key=lambda t: ORDER.index(t[0])):
            print(f"| {LABEL[s_]} | {int(kv['conns']):,} × {int(kv['depth']):,} | {int(kv['ok']):,} | "
                  f"{float(kv['stalled_bytes_per_conn']):,.0f} | {int(kv['rss_before_kb']) / 1024:.1f} MiB | "
                  f"{int(kv['rss_after_kb']) / 1024:.1f} MiB |")
        print()

    if "nodus" in servers and "nginx" in servers:
        print("### nodus against nginx\n")
        for load in loads:
            a, b = med.get(("nodus", load)), med.get(("nginx", load))
            if a and b:
                print(f"- {load_label(load, args.depth)}: CPU per request {ratio(a['cpu_us'], b['cpu_us'])}× "
                      f"nginx's ({a['cpu_us']:.2f} vs {b['cpu_us']:.2f} µs), "
                      f"requests/s {ratio(a['rps'], b['rps'])}× ({a['rps']:,.0f} vs {b['rps']:,.0f}).")
        print()

    if "floor" in servers:
        print("### The kernel's share: the floor\n")
        print("`floor` does one recv() and one send() per request and nothing else (bench/floor/); "
              "its CPU per request is what the kernel charges any server for the same exchange. "
              "A server's CPU per request can only approach it, so 'floor ÷ nginx' is the lowest "
              "'÷ nginx' ratio any server can reach in this run.\n")
        print("| load | floor µs/req | floor ÷ nginx | floor ÷ Node.js | io_uring floor ÷ floor | nodus ÷ floor | nginx ÷ floor |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        for load in loads:
            f = med.get(("floor", load))
            if not f:
                continue
            g = lambda s: (med.get((s, load)) or {}).get("cpu_us")
            print(f"| {load_label(load, args.depth)} | {f['cpu_us']:.2f} | {ratio(f['cpu_us'], g('nginx'))} | "
                  f"{ratio(f['cpu_us'], g('node'))} | {ratio(g('uring'), f['cpu_us'])} | "
                  f"{ratio(g('nodus'), f['cpu_us'])} | {ratio(g('nginx'), f['cpu_us'])} |")
        print()


if __name__ == "__main__":
    main()
