#!/usr/bin/env bash
# Clients that all arrive at once (a fleet restarted, a load balancer refilling its pool), and
# clients that open a connection per request, beside Node.js, nginx and the floor.
#
#   bash bench/burst.sh [--conns C] [--duration D] [--reps R] [--requests N]
#                       [--servers LIST] [--no-build] [--build-dir DIR]
#
# 1. First answers of a burst: each server freshly started on CPU 0 (as bench/run.sh starts
#    it: access log off, backlog 4096, 10-minute idle timeout), then bench/burst_client.c on
#    CPU 1 opens C connections at once (default 1000), each sending `GET /` as soon as it is
#    connected and again as soon as its answer is in, for D seconds (default 3). Reported:
#    latency percentiles of every connection's 1st and 2nd request, of the requests sent
#    after the first second (the steady state), and when the last first answer came. R runs
#    per server (default 3), interleaved.
# 2. A connection per request: `ab -c50 -n N` (HTTP/1.0 without keep-alive, default N =
#    40000) against each server, which answers and closes; server CPU µs per request from
#    /proc/PID/stat, median of R runs. (The floor does not close: it is left out here.)
#
# Servers: nodus, node, nginx, floor (default all four; node is left out when missing). Builds
# hello, floor_hello_epoll and burst_client in Release in DIR (default build-bench/) unless
# --no-build. Server logs go to build-bench/bench-results/burst-DATE-TIME/logs/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
# shellcheck source=bench/common.sh
source "$bench/common.sh"

conns=1000
duration=3
reps=3
requests=40000
servers="nodus,node,nginx,floor"
build=1
build_dir="$root/build-bench"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --conns) conns="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --reps) reps="$2"; shift ;;
        --requests) requests="$2"; shift ;;
        --servers) servers="$2"; shift ;;
        --no-build) build=0 ;;
        --build-dir) build_dir="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for tool in ab taskset python3 curl; do command -v "$tool" >/dev/null || die "'$tool' not found"; done
[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs (server on CPU 0, client on CPU 1)"
IFS=, read -r -a server_list <<<"$servers"
if ! command -v node >/dev/null; then
    kept=()
    for s in "${server_list[@]}"; do [[ $s == node ]] || kept+=("$s"); done
    server_list=("${kept[@]}")
fi

if [[ $build == 1 ]]; then
    say "building hello, floor_hello_epoll and burst_client (Release) in $build_dir"
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNODUS_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build_dir" -j2 --target hello floor_hello_epoll burst_client
fi
for b in apps/hello/hello bench/floor_hello_epoll bench/burst_client; do
    [[ -x "$build_dir/$b" ]] || die "no $build_dir/$b"
done

out=""
bench_prepare burst
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

server_pid=""
start_server() {   # $1 name, $2 port: freshly started, pinned to CPU 0; sets server_pid
    local log="$out/logs/$1-$2.log" cmd=()
    case "$1" in
        nodus) cmd=("$build_dir/apps/hello/hello" --config "$root/config/hello.ini" --log.access_log=false
                    "--server.port=$2" --server.host=127.0.0.1 --server.backlog=4096
                    --http.keep_alive_timeout_ms=600000 --cluster.workers=0) ;;
        node)  cmd=(node "$bench/node/hello.js" "$2" 600000 4096) ;;
        nginx) local dir; dir=$(write_nginx_conf "$2" 1 20000)
               cmd=("$nginx_bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf") ;;
        floor) cmd=("$build_dir/bench/floor_hello_epoll" "$2") ;;
        *) die "unknown server $1" ;;
    esac
    (cd "$tmp" && exec taskset -c 0 "${cmd[@]}") >"$log" 2>&1 </dev/null &
    server_pid=$!
    register_pid "$server_pid"
    wait_http "http://127.0.0.1:$2/" "$server_pid" "$log"
}

machine_notes "bash bench/burst.sh $*"
say "first answers of $conns connections that arrive at once, ${duration} s each, $reps runs per server"
declare -A burst_lines
for r in $(seq "$reps"); do
    for s in "${server_list[@]}"; do
        port=$(free_ports 1)
        start_server "$s" "$port"
        result=$(taskset -c 1 "$build_dir/bench/burst_client" "$port" "$conns" "$duration")
        stop_pids "$server_pid"
        echo "-- run $r $s"
        echo "$result"
        burst_lines[$s]+="$result"$'\n'
    done
done

say "a connection per request: ab -c50 -n $requests (HTTP/1.0, no keep-alive), $reps runs per server"
declare -A churn_us
for r in $(seq "$reps"); do
    for s in "${server_list[@]}"; do
        [[ $s == floor ]] && continue
        port=$(free_ports 1)
        start_server "$s" "$port"
        t0=$(cpu_ticks "$server_pid")
        result=$(taskset -c 1 ab -q -c50 -n "$requests" "http://127.0.0.1:$port/" 2>&1)
        t1=$(cpu_ticks "$server_pid")
        stop_pids "$server_pid"
        done_n=$(awk '/^Complete requests/ { print $3 }' <<<"$result")
        failed=$(awk '/^Failed requests/ { print $3 }' <<<"$result")
        us=$(python3 -c "print(round(($t1 - $t0) * 1e6 / $clk_tck / max(1, ${done_n:-0}), 2))")
        echo "run $r $s: $done_n requests, $failed failed, server CPU $us us/request"
        churn_us[$s]+=" $us"
    done
done

say "summary (medians; latencies in ms)"
printf '| server | answered | 1st request p50 / p99 / max | 2nd request p50 / p99 / max | after 1 s p50 / p99 / max | last first answer | conn per request, CPU µs |\n'
printf '|---|--:|--:|--:|--:|--:|--:|\n'
for s in "${server_list[@]}"; do
    python3 - "$s" "${churn_us[$s]:-}" <<PY
import re, statistics, sys
name, churn = sys.argv[1], sys.argv[2].split()
text = """${burst_lines[$s]}"""
def med(label):
    rows = [l for l in text.splitlines() if l.startswith(label)]
    vals = [[float(x) for x in re.findall(r"(?:p50|p99|max)=\s*([0-9.]+)", l)] for l in rows]
    vals = [v for v in vals if len(v) == 3]  # "n=0": nothing in that range
    if not vals:
        return "-"
    return " / ".join(f"{statistics.median(v[i] for v in vals):.1f}" for i in range(3))
last = [float(x) for x in re.findall(r"last first answer after ([0-9.]+) ms", text)]
# Connections that had their first answer within the run (of $conns).
answered = [int(x) for x in re.findall(r"^1st request +n=([0-9]+)", text, re.M)]
c = f"{statistics.median(float(x) for x in churn):.2f}" if churn else "-"
got = f"{statistics.median(answered):.0f}" if answered else "0"
print(f"| {name} | {got} of $conns | {med('1st request')} | {med('2nd request')} | {med('sent after 1 s')} | "
      f"{statistics.median(last):.1f} ms | {c} |")
PY
done
