#!/usr/bin/env bash
# What 1,000 routes cost per request: bench/routes_app.cpp with 1,000 GET routes (500 literal,
# /rN/items, and 500 with a parameter, /pN/:id, registered alternately) against the same binary
# with only the one route being requested, all answering "Hello World\n" over keep-alive.
#
#   bash bench/routing.sh [--reps N] [--duration S] [--nice N] [--out DIR] [--no-build]
#                         [--no-callgrind]
#
# Servers on CPU 0 (taskset -c 0), `wrk -t1 -c100` on CPU 1. Targets: the middle routes
# (/r250/items, /p250/42: the 501st and 502nd registered) and the last ones (/r499/items,
# /p499/42: 999th and 1,000th) of the 1,000-route server; /r499/items on a server whose only
# route is /r499/items, and /p499/42 on one whose only route is /p499/:id. CPU µs per
# request = Δ(utime + stime) of the server / requests; medians of interleaved runs, and each
# 1,000-route figure relative to the one-route server of its kind. Then, where valgrind is
# installed, the same six cases under callgrind: user-space instructions per request in steady
# state (counters zeroed after a warm-up, `wrk -t1 -c10 -d3s`), a figure the machine's noise
# does not move. See bench/README.md.
set -euo pipefail
{
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
invocation="bash bench/routing.sh $*"
# shellcheck source=bench/common.sh
source "$bench/common.sh"

reps=3
duration=10
warmup=3
nice_level=0
out=""
build=1
build_dir="$root/build-bench"
callgrind=1

while [[ $# -gt 0 ]]; do
    case "$1" in
        --reps) reps="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --nice) nice_level="$2"; shift ;;
        --out) out="$2"; shift ;;
        --no-build) build=0 ;;
        --build-dir) build_dir="$2"; shift ;;
        --no-callgrind) callgrind=0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for n in "$reps" "$duration"; do [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: $n"; done
[[ "$nice_level" =~ ^-?[0-9]+$ ]] || die "--nice wants a number"
for tool in wrk python3 taskset curl; do command -v "$tool" >/dev/null || die "'$tool' not found"; done
[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs (server on CPU 0, wrk on CPU 1)"

bin="$build_dir/bench/routes_bench"
bench_build routes_bench bench/routes_bench

bench_prepare routing

machine_notes "$invocation" >"$out/machine.txt"
echo "settings: $reps x ${duration}s per case, wrk -t1 -c100, nice $nice_level, servers on CPU 0, wrk on CPU 1" >>"$out/machine.txt"
say "machine"; cat "$out/machine.txt"

declare -A pid_of=() port_of=() env_of=()
start_server() {   # $1 name, $2 port, $3 environment (ROUTES_BENCH_...)
    local name="$1" port="$2" log="$out/logs/$1.log"
    local cmd=("$bin" --config "$root/config/hello.ini" --log.access_log=false "--server.port=$port"
               --server.host=127.0.0.1 --server.backlog=4096 --http.keep_alive_timeout_ms=600000 --cluster.workers=0)
    echo "\$ $3 taskset -c 0 ${cmd[*]}" >"$log"
    (cd "$tmp" && exec env "$3" nice -n "$nice_level" taskset -c 0 "${cmd[@]}") >>"$log" 2>&1 </dev/null &
    pid_of[$name]=$!
    register_pid "$!"
    port_of[$name]=$port
    env_of[$name]=$3
}

# case name, server, path
cases=(
    "1000 routes, middle literal|full|/r250/items"
    "1000 routes, middle :param|full|/p250/42"
    "1000 routes, last literal|full|/r499/items"
    "1000 routes, last :param|full|/p499/42"
    "1 route, literal|one-literal|/r499/items"
    "1 route, :param|one-param|/p499/42"
)

say "starting servers (CPU 0)"
ports=($(free_ports 3))
start_server full "${ports[0]}" "ROUTES_BENCH_ROUTES=1000"
start_server one-literal "${ports[1]}" "ROUTES_BENCH_ONLY=/r499/items"
start_server one-param "${ports[2]}" "ROUTES_BENCH_ONLY=/p499/:id"
for c in "${cases[@]}"; do
    IFS='|' read -r label srv path <<<"$c"
    url="http://127.0.0.1:${port_of[$srv]}$path"
    wait_http "$url" "${pid_of[$srv]}" "$out/logs/$srv.log" || die "$srv did not answer $path"
    [[ "$(curl -s --max-time 2 "$url")" == "Hello World" ]] || die "$url did not answer Hello World"
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${port_of[one-literal]}/r250/items")" == 404 ]] ||
    die "the one-route server answers more than one route"
for s in full one-literal one-param; do echo "   $s: pid ${pid_of[$s]}, port ${port_of[$s]}, VmRSS $(awk '/^VmRSS/ { print $2, $3 }' "/proc/${pid_of[$s]}/status")"; done

printf 'case\tserver\tpath\trep\trequests\tduration_us\terrors\tserver_ticks\twait_ns\n' >"$out/runs.tsv"
run_one() {   # $1 case index, $2 rep (0 = warm-up)
    local label srv path d="$duration"
    IFS='|' read -r label srv path <<<"${cases[$1]}"
    [[ $2 == 0 ]] && d=$warmup
    local pid="${pid_of[$srv]}" log="$out/logs/wrk-$1-$2.txt" t0 t1 q0 q1 line
    q0=$(sched_wait_ns "$pid"); t0=$(cpu_ticks "$pid")
    timeout $(( d + 30 )) nice -n "$nice_level" taskset -c 1 wrk -t1 -c100 -d"${d}s" \
        -s "$bench/report.lua" "http://127.0.0.1:${port_of[$srv]}$path" >"$log" 2>&1 || true
    t1=$(cpu_ticks "$pid"); q1=$(sched_wait_ns "$pid")
    kill -0 "$pid" 2>/dev/null || die "$srv died (see $out/logs/$srv.log)"
    [[ $2 == 0 ]] && return 0
    line=$(grep '^NODUS_WRK ' "$log" || true)
    [[ -n "$line" ]] || { echo "   $label #$2: wrk gave no result (see $log)"; return 0; }
    local requests duration_us errs
    requests=$(sed 's/.* requests=\([0-9]*\).*/\1/' <<<"$line")
    duration_us=$(sed 's/.* duration_us=\([0-9]*\).*/\1/' <<<"$line")
    errs=$(grep -o 'err_[a-z]*=[0-9]*' <<<"$line" | awk -F= '{ s += $2 } END { print s + 0 }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$srv" "$path" "$2" "$requests" "$duration_us" "$errs" \
        "$(( t1 - t0 ))" "$(( q1 - q0 ))" >>"$out/runs.tsv"
    awk -v l="$label" -v r="$2" -v q="$requests" -v d="$duration_us" -v t="$(( t1 - t0 ))" -v hz="$clk_tck" \
        -v w="$(( q1 - q0 ))" -v e="$errs" 'BEGIN { s = d / 1e6
        printf "   %-28s #%d %8.0f req/s %6.2f us CPU/req  server CPU %3.0f%%  waited %3.0f%%%s\n",
            l, r, q / s, (q ? t * 1e6 / hz / q : 0), t / hz / s * 100, w / 1e9 / s * 100, (e ? "  errors " e : "") }'
}

say "warm-up: wrk -t1 -c100 -d${warmup}s per case"
for i in "${!cases[@]}"; do run_one "$i" 0; done

n=${#cases[@]}
say "runs: $reps x $n x ${duration}s (about $(( reps * n * (duration + 1) / 60 + 1 )) min)"
for (( rep = 1; rep <= reps; rep++ )); do
    for (( k = 0; k < n; k++ )); do
        run_one "$(( (k + rep - 1) % n ))" "$rep"
        sleep 1
    done
done

say "results"
python3 - "$out" "$clk_tck" "$reps" "$duration" <<'PY' | tee "$out/results.md"
import csv, statistics, sys
out, hz, reps, dur = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = list(csv.DictReader(open(f"{out}/runs.tsv"), delimiter="\t"))
cases = list(dict.fromkeys(r["case"] for r in rows))
med = {}
for c in cases:
    rs = [r for r in rows if r["case"] == c]
    med[c] = dict(path=rs[0]["path"],
                  rps=statistics.median(int(r["requests"]) / (int(r["duration_us"]) / 1e6) for r in rs),
                  cpu=statistics.median(int(r["server_ticks"]) * 1e6 / hz / int(r["requests"]) for r in rs),
                  scpu=statistics.median(int(r["server_ticks"]) / hz / (int(r["duration_us"]) / 1e6) * 100 for r in rs),
                  wait=statistics.median(int(r["wait_ns"]) / 1e9 / (int(r["duration_us"]) / 1e6) * 100 for r in rs),
                  all=[int(r["server_ticks"]) * 1e6 / hz / int(r["requests"]) for r in rs])
print(f"wrk -t1 -c100 -d{dur}s on CPU 1, server on CPU 0; medians of {reps} interleaved runs.\n")
print("| server, route | path | req/s | CPU µs/req | runs (CPU µs/req) | server CPU | waited | CPU/req ÷ 1 route | same-repetition ratio |")
print("|---|---|--:|--:|---|--:|--:|--:|--:|")
for c in cases:
    m = med[c]
    base = med.get("1 route, :param" if ":param" in c else "1 route, literal")
    ratio = f"{m['cpu'] / base['cpu']:.3f}" if base else "–"
    runs = ", ".join(f"{x:.2f}" for x in m["all"])
    bname = "1 route, :param" if ":param" in c else "1 route, literal"
    per_rep = []
    for r in (r for r in rows if r["case"] == c):
        b = [x for x in rows if x["case"] == bname and x["rep"] == r["rep"]]
        if b:
            per_rep.append((int(r["server_ticks"]) / int(r["requests"])) / (int(b[0]["server_ticks"]) / int(b[0]["requests"])))
    paired = f"{statistics.median(per_rep):.3f}" if per_rep else "–"
    print(f"| {c} | `{m['path']}` | {m['rps']:,.0f} | {m['cpu']:.2f} | {runs} | {m['scpu']:.0f} % | {m['wait']:.0f} % | {ratio} | {paired} |")
print("\n\"CPU/req ÷ 1 route\": ratio of the medians; \"same-repetition ratio\": median over the repetitions "
      "of the ratio to the one-route run of the same repetition (the runs of one repetition lie within about a minute, "
      "so they share the machine's conditions).")
PY

# ---------------------------------------------------------------- instructions (callgrind)
if [[ $callgrind == 1 ]] && command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
    say "user-space instructions per request under callgrind (wrk -t1 -c10 -d3s after a 1 s warm-up)"
    printf 'case\tpath\trequests\tinstructions\n' >"$out/callgrind.tsv"
    for c in "${cases[@]}"; do
        IFS='|' read -r label srv path <<<"$c"
        port=$(free_ports 1)
        cg="$out/logs/callgrind-$srv-${path//\//_}"
        (cd "$tmp" && exec env "${env_of[$srv]}" taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$cg.out" \
            "$bin" --config "$root/config/hello.ini" --log.access_log=false --log.level=warn "--server.port=$port" \
            --server.host=127.0.0.1 --cluster.workers=0) >"$cg.log" 2>&1 </dev/null &
        vpid=$!
        register_pid "$vpid"
        wait_http "http://127.0.0.1:$port$path" "$vpid" "$cg.log" || die "$srv under valgrind did not answer"
        taskset -c 1 wrk -t1 -c10 -d1s "http://127.0.0.1:$port$path" >/dev/null 2>&1 || true
        callgrind_control -z "$vpid" >/dev/null 2>&1
        line=$(taskset -c 1 wrk -t1 -c10 -d3s -s "$bench/report.lua" "http://127.0.0.1:$port$path" 2>&1 | grep '^NODUS_WRK ' || true)
        callgrind_control -d "$vpid" >/dev/null 2>&1
        stop_pids "$vpid"
        requests=$(sed 's/.* requests=\([0-9]*\).*/\1/' <<<"$line")
        dump=$(ls -t "$cg.out".* 2>/dev/null | head -n1)
        instr=$([[ -n "$dump" ]] && awk '/^(summary|totals):/ { print $2; exit }' "$dump")
        [[ -n "$requests" && -n "$instr" ]] || { echo "   $label: no result (see $cg.log)"; continue; }
        printf '%s\t%s\t%s\t%s\n' "$label" "$path" "$requests" "$instr" >>"$out/callgrind.tsv"
        awk -v l="$label" -v q="$requests" -v i="$instr" 'BEGIN { printf "   %-28s %8d requests  %7.0f instructions/request\n", l, q, i / q }'
    done
    python3 - "$out" <<'PY' | tee -a "$out/results.md"
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/callgrind.tsv"), delimiter="\t"))
per = {r["case"]: int(r["instructions"]) / int(r["requests"]) for r in rows}
print("\nUser-space instructions per request (callgrind, steady state, wrk -t1 -c10 -d3s):\n")
print("| server, route | path | requests | instructions / request | ÷ 1 route |")
print("|---|---|--:|--:|--:|")
for r in rows:
    base = per.get("1 route, :param" if ":param" in r["case"] else "1 route, literal")
    ratio = f"{per[r['case']] / base:.3f}" if base else "–"
    print(f"| {r['case']} | `{r['path']}` | {int(r['requests']):,} | {per[r['case']]:,.0f} | {ratio} |")
PY
fi

echo
echo "raw data and logs: $out"
exit 0
}
