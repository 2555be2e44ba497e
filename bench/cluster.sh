#!/usr/bin/env bash
# Two worker processes: nodus (--cluster.workers=2, balance shared, reuseport and round_robin), Node.js's
# cluster module (scheduling policy rr and none) and nginx (worker_processes 2), all answering
# GET / "Hello World\n" over keep-alive on 127.0.0.1, driven by wrk -t2 -c100.
#
#   bash bench/cluster.sh [--reps N] [--duration S] [--conns C] [--servers LIST]
#                         [--nice N] [--out DIR] [--no-build]
#
# The machine has 2 CPUs, so the servers' processes and wrk's two threads share them: nothing
# is pinned to one CPU (all run on CPUs 0-1, `taskset -c 0,1`). Per run it reports requests/s,
# CPU µs per request summed over every server process (master + workers, /proc/PID/stat), and
# how the work split between the two workers: requests (nodus: the master's SIGUSR1 table;
# Node.js and nginx: bytes each worker wrote, /proc/PID/io wchar), open connections sampled
# mid-run (/proc/PID/fd), and CPU time. Runs are interleaved across servers, medians reported.
# See bench/README.md.
set -euo pipefail
{
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
invocation="bash bench/cluster.sh $*"
# shellcheck source=bench/common.sh
source "$bench/common.sh"

reps=3
duration=10
warmup=3
conns=100
servers="nodus-shared,nodus-reuseport,nodus-round_robin,node-rr,node-none,nginx"
nice_level=0
out=""
build=1
build_dir="$root/build-bench"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --reps) reps="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --conns) conns="$2"; shift ;;
        --servers) servers="$2"; shift ;;
        --nice) nice_level="$2"; shift ;;
        --out) out="$2"; shift ;;
        --no-build) build=0 ;;
        --build-dir) build_dir="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for n in "$reps" "$duration" "$conns"; do [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: $n"; done
[[ "$nice_level" =~ ^-?[0-9]+$ ]] || die "--nice wants a number"
IFS=, read -r -a server_list <<<"$servers"
for s in "${server_list[@]}"; do
    case "$s" in nodus-shared|nodus-reuseport|nodus-round_robin|node-rr|node-none|nginx) ;; *) die "unknown server '$s'" ;; esac
done
for tool in wrk python3 taskset curl node; do command -v "$tool" >/dev/null || die "'$tool' not found"; done
[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs"

nodus_bin="$build_dir/apps/hello/hello"
bench_build hello apps/hello/hello
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

bench_prepare cluster

machine_notes "$invocation" >"$out/machine.txt"
echo "settings: $reps x ${duration}s per server, wrk -t2 -c$conns, nice $nice_level, servers and wrk on CPUs 0-1" >>"$out/machine.txt"
say "machine"; cat "$out/machine.txt"

declare -A pid_of=() port_of=() workers_of=() log_of=()

start_server() {   # $1 name, $2 port
    local name="$1" port="$2" log="$out/logs/$1.log" cmd=() envs=()
    case "$name" in
        nodus-*)
            cmd=("$nodus_bin" --config "$root/config/hello.ini" --log.access_log=false
                 "--server.port=$port" --server.host=127.0.0.1 --server.backlog=4096
                 --http.keep_alive_timeout_ms=600000 --cluster.workers=2 "--cluster.balance=${name#nodus-}") ;;
        node-*)
            envs=("NODE_CLUSTER_SCHED_POLICY=${name#node-}")
            cmd=(node "$bench/node/cluster.js" "$port" 2 600000 4096) ;;
        nginx)
            local dir; dir=$(write_nginx_conf "$port" 2 8192)
            cmd=("$nginx_bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf") ;;
    esac
    echo "\$ ${envs[*]} taskset -c 0,1 ${cmd[*]}" >"$log"
    (cd "$tmp" && exec env "${envs[@]}" nice -n "$nice_level" taskset -c 0,1 "${cmd[@]}") >>"$log" 2>&1 </dev/null &
    pid_of[$name]=$!
    register_pid "$!"
    port_of[$name]=$port
    log_of[$name]=$log
    wait_http "http://127.0.0.1:$port/" "${pid_of[$name]}" "$log" || return 1
    local w="" deadline=$(( SECONDS + 10 ))
    while (( SECONDS < deadline )); do   # both workers forked and serving
        w=$(children_of "${pid_of[$name]}")
        [[ $(wc -w <<<"$w") -ge 2 ]] && break
        sleep 0.1
    done
    sleep 0.5
    w=$(children_of "${pid_of[$name]}")
    [[ $(wc -w <<<"$w") -eq 2 ]] || { echo "bench: $name: expected 2 workers, found '$w'" >&2; return 1; }
    workers_of[$name]=$w
    echo "   $name: master $(( pid_of[$name] )), workers $w, http://127.0.0.1:$port/"
}

# nodus: the master's SIGUSR1 table -> "PID:REQUESTS PID:REQUESTS" (requests served so far,
# from the stats each worker sends every second).
nodus_table() {   # $1 name
    local name="$1" log="${log_of[$1]}" before after deadline
    before=$(grep -c 'worker process(es), generation' "$log" || true)
    kill -USR1 "${pid_of[$name]}"
    deadline=$(( SECONDS + 5 ))
    while (( SECONDS < deadline )); do
        after=$(grep -c 'worker process(es), generation' "$log" || true)
        (( after > before )) && break
        sleep 0.05
    done
    sleep 0.1
    awk '/worker process\(es\), generation/ { delete r; n = 0; next }
         /\] +[0-9]+ +[0-9]+ +(ready|starting|retiring) / { r[++n] = $(NF - 5) ":" $NF }
         END { for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? " " : ""), r[i]; print "" }' "$log"
}

io_wchar() { awk '/^wchar:/ { print $2 }' "/proc/$1/io" 2>/dev/null || echo 0; }

printf 'server\trep\trequests\tduration_us\terrors\tserver_ticks\tmaster_ticks\tworker_ticks\tworker_reqs\tworker_conns\twrk_ticks\tall_busy\n' >"$out/runs.tsv"

run_one() {   # $1 server, $2 rep (0 = warm-up)
    local name="$1" rep="$2" d="$duration" url="http://127.0.0.1:${port_of[$1]}/"
    local master="${pid_of[$1]}" w=(${workers_of[$1]}) log="$out/logs/wrk-$1-$2.txt"
    [[ $rep == 0 ]] && d=$warmup
    local m0 m1 wt0=() wt1=() io0=() io1=() s0=() smid=() tab0="" tab1="" c0 c1 b0 b1 p
    sleep 1   # connections of the previous run closed
    [[ $name == nodus-* && $rep != 0 ]] && tab0=$(nodus_table "$name")
    for p in "${w[@]}"; do s0+=("$(socket_count "$p")"); io0+=("$(io_wchar "$p")"); wt0+=("$(cpu_ticks "$p")"); done
    m0=$(cpu_ticks "$master"); c0=$(children_ticks); b0=$(cpus_busy)
    timeout $(( d + 30 )) nice -n "$nice_level" taskset -c 0,1 wrk -t2 -c"$conns" -d"${d}s" \
        -s "$bench/report.lua" "$url" >"$log" 2>&1 &
    local wrk_pid=$!
    sleep "$(awk -v d="$d" 'BEGIN { print d / 2 }')"
    for p in "${w[@]}"; do smid+=("$(socket_count "$p")"); done
    wait "$wrk_pid" || true
    m1=$(cpu_ticks "$master"); c1=$(children_ticks); b1=$(cpus_busy)
    for p in "${w[@]}"; do wt1+=("$(cpu_ticks "$p")"); io1+=("$(io_wchar "$p")"); done
    [[ $rep == 0 ]] && return 0
    if [[ $name == nodus-* ]]; then sleep 1.5; tab1=$(nodus_table "$name"); fi
    local line; line=$(grep '^NODUS_WRK ' "$log" || true)
    [[ -n "$line" ]] || { echo "   $name #$rep: wrk gave no result (see $log)"; return 0; }
    local requests duration_us errs
    requests=$(sed 's/.* requests=\([0-9]*\).*/\1/' <<<"$line")
    duration_us=$(sed 's/.* duration_us=\([0-9]*\).*/\1/' <<<"$line")
    errs=$(grep -o 'err_[a-z]*=[0-9]*' <<<"$line" | awk -F= '{ s += $2 } END { print s + 0 }')
    local wt=() wr=() wc=() i total=$(( m1 - m0 ))
    for i in "${!w[@]}"; do
        wt+=("$(( wt1[i] - wt0[i] ))"); total=$(( total + wt1[i] - wt0[i] ))
        wc+=("$(( smid[i] - s0[i] ))")
        if [[ $name == nodus-* ]]; then
            local a b
            a=$(tr ' ' '\n' <<<"$tab0" | awk -F: -v p="${w[i]}" '$1 == p { print $2 }')
            b=$(tr ' ' '\n' <<<"$tab1" | awk -F: -v p="${w[i]}" '$1 == p { print $2 }')
            wr+=("$(( ${b:-0} - ${a:-0} ))")
        else
            wr+=("$(( io1[i] - io0[i] ))")   # bytes written: proportional to responses
        fi
    done
    local IFS=,
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rep" "$requests" "$duration_us" \
        "$errs" "$total" "$(( m1 - m0 ))" "${wt[*]}" "${wr[*]}" "${wc[*]}" "$(( c1 - c0 ))" "$(( b1 - b0 ))" >>"$out/runs.tsv"
    unset IFS
    awk -v n="$name" -v r="$rep" -v q="$requests" -v d="$duration_us" -v t="$total" -v hz="$clk_tck" \
        -v wt="${wt[*]}" -v wr="${wr[*]}" -v wc="${wc[*]}" -v e="$errs" 'BEGIN {
        s = d / 1e6; split(wr, R, " "); split(wc, C, " "); split(wt, T, " ")
        printf "   %-15s #%d %8.0f req/s %6.2f us CPU/req (all processes)  server CPU %3.0f%%  requests %4.1f/%4.1f%%  conns %s/%s  worker CPU %4.1f/%4.1f%%%s\n",
            n, r, q / s, q ? t * 1e6 / hz / q : 0, t / hz / s * 100,
            R[1] + R[2] ? 100 * R[1] / (R[1] + R[2]) : 0, R[1] + R[2] ? 100 * R[2] / (R[1] + R[2]) : 0,
            C[1], C[2], T[1] + T[2] ? 100 * T[1] / (T[1] + T[2]) : 0, T[1] + T[2] ? 100 * T[2] / (T[1] + T[2]) : 0,
            e ? "  errors " e : "" }'
}

say "starting servers (CPUs 0-1)"
ports=($(free_ports "${#server_list[@]}"))
i=0
for s in "${server_list[@]}"; do start_server "$s" "${ports[$i]}" || die "$s did not start"; i=$(( i + 1 )); done

say "warm-up: wrk -t2 -c$conns -d${warmup}s per server"
for s in "${server_list[@]}"; do run_one "$s" 0; done

n=${#server_list[@]}
say "runs: $reps x $n x ${duration}s, wrk -t2 -c$conns on CPUs 0-1 (about $(( reps * n * (duration + 4) / 60 + 1 )) min)"
for (( rep = 1; rep <= reps; rep++ )); do
    for (( k = 0; k < n; k++ )); do
        s="${server_list[$(( (k + rep - 1) % n ))]}"
        kill -0 "${pid_of[$s]}" 2>/dev/null || { echo "   $s is not running; skipped"; continue; }
        run_one "$s" "$rep"
    done
done
for s in "${server_list[@]}"; do
    [[ "$(children_of "${pid_of[$s]}")" == "${workers_of[$s]}" ]] ||
        echo "bench: warning: $s's workers changed during the runs (see $out/logs/$s.log)" >&2
done

say "results"
python3 - "$out" "$clk_tck" "$reps" "$duration" "$conns" <<'PY' | tee "$out/results.md"
import csv, statistics, sys
out, hz, reps, dur, conns = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
rows = list(csv.DictReader(open(f"{out}/runs.tsv"), delimiter="\t"))
names = {"nodus-shared": "nodus, balance = shared", "nodus-reuseport": "nodus, balance = reuseport",
         "nodus-round_robin": "nodus, balance = round_robin",
         "node-rr": "Node.js cluster, rr", "node-none": "Node.js cluster, none", "nginx": "nginx, worker_processes 2"}
order = [n for n in names if any(r["server"] == n for r in rows)]
def share(csvs):
    v = [float(x) for x in csvs.split(",")]
    return [100 * x / sum(v) if sum(v) else 0 for x in v]
res = {}
for n in order:
    rs = [r for r in rows if r["server"] == n]
    rps = [int(r["requests"]) / (int(r["duration_us"]) / 1e6) for r in rs]
    cpu = [int(r["server_ticks"]) * 1e6 / hz / int(r["requests"]) for r in rs]
    scpu = [int(r["server_ticks"]) / hz / (int(r["duration_us"]) / 1e6) * 100 for r in rs]
    wcpu = [int(r["wrk_ticks"]) / hz / (int(r["duration_us"]) / 1e6) * 100 for r in rs]
    oth = [max(0, int(r["all_busy"]) - int(r["server_ticks"]) - int(r["wrk_ticks"])) / hz / (int(r["duration_us"]) / 1e6) * 100 for r in rs]
    mast = [100 * int(r["master_ticks"]) / int(r["server_ticks"]) if int(r["server_ticks"]) else 0 for r in rs]
    res[n] = dict(rps=statistics.median(rps), cpu=statistics.median(cpu), scpu=statistics.median(scpu),
                  wcpu=statistics.median(wcpu), oth=statistics.median(oth), mast=statistics.median(mast),
                  req=[share(r["worker_reqs"]) for r in rs], cpu_split=[share(r["worker_ticks"]) for r in rs],
                  conn=[r["worker_conns"].replace(",", "/") for r in rs],
                  errs=sum(int(r["errors"]) for r in rs), n=len(rs))
base = res.get("nginx")
print(f"wrk -t2 -c{conns} -d{dur}s, keep-alive, GET / \"Hello World\\n\"; servers and wrk share the 2 CPUs. "
      f"Medians of {reps} interleaved runs; CPU summed over master + workers.\n")
print("| server | req/s | CPU µs/req (all processes) | server CPU (of 200 %) | wrk CPU | others' CPU | master's share of CPU | CPU/req ÷ nginx | req/s ÷ nginx |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
for n in order:
    r = res[n]
    rc = f"{r['cpu'] / base['cpu']:.2f}" if base else "–"
    rr = f"{r['rps'] / base['rps']:.2f}" if base else "–"
    print(f"| {names[n]} | {r['rps']:,.0f} | {r['cpu']:.2f} | {r['scpu']:.0f} % | {r['wcpu']:.0f} % | {r['oth']:.0f} % | {r['mast']:.1f} % | {rc} | {rr} |")
print("\nSplit between the two workers, every run (worker 1 / worker 2): requests (nodus: the master's "
      "SIGUSR1 table; Node.js, nginx: bytes written, /proc/PID/io), connections open mid-run "
      "(/proc/PID/fd), CPU time.\n")
print("| server | requests | connections (of %s) | CPU time |" % conns)
print("|---|---|---|---|")
for n in order:
    r = res[n]
    f = lambda L: ", ".join(f"{a:.0f}/{b:.0f} %" for a, b in L)
    print(f"| {names[n]} | {f(r['req'])} | {', '.join(r['conn'])} | {f(r['cpu_split'])} |")
print("\n\"Others' CPU\": busy time of both CPUs (/proc/stat) not spent by the server or wrk: other programs.")
errs = {n: res[n]["errs"] for n in order if res[n]["errs"]}
if errs: print(f"\nwrk errors: {errs}")
PY
echo
echo "raw data and logs: $out"
exit 0
}
