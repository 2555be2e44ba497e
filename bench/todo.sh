#!/usr/bin/env bash
# The todo service (apps/todo) beside the same service written with Node + Express and
# Node + Fastify (bench/node/todo_express.js, todo_fastify.js), access log on in all three,
# with the epoll floor (bench/floor) as the kernel's share of a request.
#
#   bash bench/todo.sh [--reps N] [--duration S] [--out DIR] [--no-build] [--no-callgrind]
#
# Cases: GET /todos/1 (a store of 100 items) and POST /todos with a 33-byte JSON body, over
# keep-alive, `wrk -t1 -c100` on CPU 1, each server on CPU 0. Per case and server: requests/s,
# p50/p99 latency, and server CPU per request = Δ(utime + stime) / requests, medians of
# interleaved runs; each server's CPU/req relative to Fastify's and to the floor's (the floor
# answers every request with a fixed response: one recv and one send). Then, where valgrind is
# installed, nodus's user-space instructions per request for both cases under callgrind.
# Needs `bash scripts/setup.sh --bench` (wrk, node) and npm (installs bench/node's packages).
set -euo pipefail
{
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
invocation="bash bench/todo.sh $*"
# shellcheck source=bench/common.sh
source "$bench/common.sh"

reps=3
duration=10
warmup=2
out=""
build=1
build_dir="$root/build-bench"
callgrind=1

while [[ $# -gt 0 ]]; do
    case "$1" in
        --reps) reps="$2"; shift ;;
        --duration) duration="$2"; shift ;;
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
for tool in wrk python3 taskset curl node npm; do command -v "$tool" >/dev/null || die "'$tool' not found"; done
[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs (server on CPU 0, wrk on CPU 1)"

bin="$build_dir/apps/todo/todo"
floor_bin="$build_dir/bench/floor_hello_epoll"
if [[ $build == 1 ]]; then
    say "building todo and floor_hello_epoll (Release) in $build_dir"
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNODUS_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build_dir" -j2 --target todo floor_hello_epoll
fi
[[ -x "$bin" && -x "$floor_bin" ]] || die "no $bin or $floor_bin"
if [[ ! -d "$bench/node/node_modules/fastify" ]]; then
    say "installing bench/node's packages (npm ci)"
    (cd "$bench/node" && npm ci --no-audit --no-fund >/dev/null)
fi

bench_prepare todo
machine_notes "$invocation" >"$out/machine.txt"
echo "settings: $reps x ${duration}s per case, wrk -t1 -c100, servers on CPU 0, wrk on CPU 1, access logs to files" >>"$out/machine.txt"
say "machine"; cat "$out/machine.txt"

declare -A pid_of=() port_of=()
start_server() {   # $1 name, $2 port
    local name="$1" port="$2" log="$out/logs/$1.log" cmd
    case "$name" in
        nodus) cmd=("$bin" --config "$root/config/todo.ini" "--server.port=$port" --server.backlog=4096
                    --http.keep_alive_timeout_ms=600000 --todo.max_items=100000000) ;;
        express) cmd=(node "$bench/node/todo_express.js" "$port") ;;
        fastify) cmd=(node "$bench/node/todo_fastify.js" "$port") ;;
        floor) cmd=("$floor_bin" "$port") ;;
    esac
    echo "\$ taskset -c 0 ${cmd[*]}" >"$log"
    (cd "$tmp" && exec env TODO_MAX_ITEMS=100000000 taskset -c 0 "${cmd[@]}") >>"$log" 2>&1 </dev/null &
    pid_of[$name]=$!
    register_pid "$!"
    port_of[$name]=$port
}

servers=(nodus express fastify floor)
ports=($(free_ports ${#servers[@]}))
say "starting servers (CPU 0)"
for i in "${!servers[@]}"; do start_server "${servers[$i]}" "${ports[$i]}"; done
for s in nodus express fastify; do
    base="http://127.0.0.1:${port_of[$s]}"
    wait_http "$base/healthz" "${pid_of[$s]}" "$out/logs/$s.log" || die "$s did not start"
    for k in $(seq 100); do
        curl -sf -o /dev/null -H 'Content-Type: application/json' -d "{\"title\":\"item $k\"}" "$base/todos" ||
            die "$s: POST /todos failed"
    done
    got=$(curl -sf "$base/todos/1")
    [[ "$got" == '{"id":1,"title":"item 1","done":false}' ]] || die "$s: GET /todos/1 answered '$got'"
done
wait_http "http://127.0.0.1:${port_of[floor]}/" "${pid_of[floor]}" "$out/logs/floor.log" || die "floor did not start"

cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"title":"buy milk","done":false}'
wrk.headers["Content-Type"] = "application/json"
LUA
cat "$bench/report.lua" >>"$tmp/post.lua"

# case|path|script
cases=("GET /todos/1|/todos/1|$bench/report.lua" "POST /todos|/todos|$tmp/post.lua")

printf 'case\tserver\trep\trequests\tduration_us\tp50_us\tp99_us\terrors\tserver_ticks\n' >"$out/runs.tsv"
run_one() {   # $1 case index, $2 server, $3 rep (0 = warm-up)
    local label path script d="$duration"
    IFS='|' read -r label path script <<<"${cases[$1]}"
    [[ $2 == floor ]] && script="$bench/report.lua"
    [[ $3 == 0 ]] && d=$warmup
    local pid="${pid_of[$2]}" log="$out/logs/wrk-$1-$2-$3.txt" t0 t1 line
    t0=$(cpu_ticks "$pid")
    timeout $(( d + 30 )) taskset -c 1 wrk -t1 -c100 -d"${d}s" -s "$script" \
        "http://127.0.0.1:${port_of[$2]}$path" >"$log" 2>&1 || true
    t1=$(cpu_ticks "$pid")
    kill -0 "$pid" 2>/dev/null || die "$2 died (see $out/logs/$2.log)"
    [[ $3 == 0 ]] && return 0
    line=$(grep '^NODUS_WRK ' "$log" || true)
    [[ -n "$line" ]] || { echo "   $label $2 #$3: wrk gave no result (see $log)"; return 0; }
    local f=() k
    for k in requests duration_us p50_us p99_us; do f+=("$(sed "s/.* $k=\([0-9]*\).*/\1/" <<<"$line")"); done
    local errs
    errs=$(grep -o 'err_[a-z]*=[0-9]*' <<<"$line" | awk -F= '{ s += $2 } END { print s + 0 }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$2" "$3" "${f[@]}" "$errs" "$(( t1 - t0 ))" >>"$out/runs.tsv"
    awk -v l="$label" -v s="$2" -v r="$3" -v q="${f[0]}" -v d="${f[1]}" -v p="${f[3]}" -v t="$(( t1 - t0 ))" -v hz="$clk_tck" \
        'BEGIN { printf "   %-13s %-8s #%d %8.0f req/s  p99 %6d us  %6.2f us CPU/req\n", l, s, r, q / (d / 1e6), p, (q ? t * 1e6 / hz / q : 0) }'
}

say "warm-up"
for i in "${!cases[@]}"; do for s in "${servers[@]}"; do run_one "$i" "$s" 0; done; done
say "runs: $reps x ${#cases[@]} cases x ${#servers[@]} servers x ${duration}s"
for (( rep = 1; rep <= reps; rep++ )); do
    for i in "${!cases[@]}"; do
        for s in "${servers[@]}"; do run_one "$i" "$s" "$rep"; done
    done
done

say "results"
python3 - "$out" "$clk_tck" "$reps" "$duration" <<'PY' | tee "$out/results.md"
import csv, statistics, sys
out, hz, reps, dur = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = list(csv.DictReader(open(f"{out}/runs.tsv"), delimiter="\t"))
def med(case, server, f):
    v = [f(r) for r in rows if r["case"] == case and r["server"] == server]
    return statistics.median(v) if v else None
cpu = lambda r: int(r["server_ticks"]) * 1e6 / hz / int(r["requests"])
rps = lambda r: int(r["requests"]) / (int(r["duration_us"]) / 1e6)
p99 = lambda r: int(r["p99_us"])
print(f"wrk -t1 -c100 -d{dur}s on CPU 1, server on CPU 0, access log on; medians of {reps} interleaved runs.\n")
print("| case | server | req/s | p99 µs | CPU µs/req | ÷ Fastify | ÷ floor |")
print("|---|---|--:|--:|--:|--:|--:|")
floor = med("GET /todos/1", "floor", cpu)
for case in dict.fromkeys(r["case"] for r in rows):
    fa = med(case, "fastify", cpu)
    for s in ("nodus", "express", "fastify"):
        c = med(case, s, cpu)
        if c is None: continue
        print(f"| {case} | {s} | {med(case, s, rps):,.0f} | {med(case, s, p99):,.0f} | {c:.2f} | "
              f"{c / fa:.2f} | {c / floor:.2f} |")
print(f"| (kernel share) | floor | {med('GET /todos/1', 'floor', rps):,.0f} | {med('GET /todos/1', 'floor', p99):,.0f} | "
      f"{floor:.2f} | {floor / med('GET /todos/1', 'fastify', cpu):.2f} | 1.00 |")
PY

if [[ $callgrind == 1 ]] && command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
    say "user-space instructions per request under callgrind (wrk -t1 -c10 -d3s after a 1 s warm-up)"
    echo >>"$out/results.md"
    echo "| case (nodus, callgrind) | requests | instructions / request |" >>"$out/results.md"
    echo "|---|--:|--:|" >>"$out/results.md"
    for i in "${!cases[@]}"; do
        IFS='|' read -r label path script <<<"${cases[$i]}"
        port=$(free_ports 1)
        cg="$out/logs/callgrind-$i"
        (cd "$tmp" && exec taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$cg.out" \
            "$bin" --config "$root/config/todo.ini" "--server.port=$port" --todo.max_items=100000000) \
            >"$cg.log" 2>&1 </dev/null &
        vpid=$!
        register_pid "$vpid"
        wait_http "http://127.0.0.1:$port/healthz" "$vpid" "$cg.log" || die "todo under valgrind did not start"
        curl -sf -o /dev/null -H 'Content-Type: application/json' -d '{"title":"item 1"}' "http://127.0.0.1:$port/todos"
        taskset -c 1 wrk -t1 -c10 -d1s -s "$script" "http://127.0.0.1:$port$path" >/dev/null 2>&1 || true
        callgrind_control -z "$vpid" >/dev/null 2>&1
        line=$(taskset -c 1 wrk -t1 -c10 -d3s -s "$script" "http://127.0.0.1:$port$path" 2>&1 | grep '^NODUS_WRK ' || true)
        callgrind_control -d "$vpid" >/dev/null 2>&1
        stop_pids "$vpid"
        requests=$(sed 's/.* requests=\([0-9]*\).*/\1/' <<<"$line")
        dump=$(ls -t "$cg.out".* 2>/dev/null | head -n1)
        instr=$([[ -n "$dump" ]] && awk '/^(summary|totals):/ { print $2; exit }' "$dump")
        [[ -n "$requests" && -n "$instr" ]] || { echo "   $label: no result (see $cg.log)"; continue; }
        awk -v l="$label" -v q="$requests" -v i="$instr" 'BEGIN {
            printf "   %-13s %8d requests  %7.0f instructions/request\n", l, q, i / q
            printf "| %s | %d | %.0f |\n", l, q, i / q >> "'"$out/results.md"'" }'
    done
fi
echo
echo "raw data and logs: $out"
exit 0
}
