#!/usr/bin/env bash
# Streaming 1 GiB through the application, nodus next to Node.js, one connection at a time:
#
#   download  GET /stream?bytes=1073741824: the application writes 64 KiB blocks and waits for
#             drain whenever the socket pushes back (apps/echo vs bench/node/stream.js)
#   upload    POST /echo with a 1 GiB body that comes straight back, reading paused while the
#             response cannot be written (apps/echo vs bench/node/echo.js, req.pipe(res))
#
#   bash bench/stream.sh [--reps N] [--bytes N] [--nice N] [--out DIR] [--no-build]
#
# Server on CPU 0 (taskset -c 0), the client on CPU 1: bench/stream_client.c, which reads in
# 1 MiB recv()s and sends its upload from memory (curl's 16 KiB reads made it the slow side).
# Reports throughput (MB/s, 10^6 bytes), the ratio to Node.js, the server's CPU time per GiB
# and the kernel's share of it (stime / (utime + stime): the copying and TCP work), and its
# peak RSS (VmHWM from /proc/PID/status, reset before every transfer through
# /proc/PID/clear_refs), medians of interleaved repetitions. See bench/README.md.
set -euo pipefail
{
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
invocation="bash bench/stream.sh $*"
# shellcheck source=bench/common.sh
source "$bench/common.sh"

reps=3
bytes=1073741824
nice_level=0
out=""
build=1
build_dir="$root/build-bench"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --reps) reps="$2"; shift ;;
        --bytes) bytes="$2"; shift ;;
        --nice) nice_level="$2"; shift ;;
        --out) out="$2"; shift ;;
        --no-build) build=0 ;;
        --build-dir) build_dir="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for n in "$reps" "$bytes"; do [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: $n"; done
[[ "$nice_level" =~ ^-?[0-9]+$ ]] || die "--nice wants a number"
for tool in python3 taskset curl node; do command -v "$tool" >/dev/null || die "'$tool' not found"; done
[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs (server on CPU 0, client on CPU 1)"

nodus_bin="$build_dir/apps/echo/echo"
client_bin="$build_dir/bench/stream_client"
bench_build echo apps/echo/echo
bench_build stream_client bench/stream_client

bench_prepare stream

machine_notes "$invocation" >"$out/machine.txt"
echo "settings: $reps reps, $bytes bytes, nice $nice_level, server on CPU 0, bench/stream_client on CPU 1" >>"$out/machine.txt"
say "machine"; cat "$out/machine.txt"

declare -A pid_of=() port_of=()
start_server() {   # $1 name, $2 port
    local name="$1" port="$2" log="$out/logs/$1.log" cmd=() probe
    case "$name" in
        nodus)       cmd=("$nodus_bin" --config "$root/config/echo.ini" --log.access_log=false
                          "--server.port=$port" --server.host=127.0.0.1 --cluster.workers=0)
                     probe="/" ;;
        node-stream) cmd=(node "$bench/node/stream.js" "$port"); probe="/stream?bytes=1" ;;
        node-echo)   cmd=(node "$bench/node/echo.js" "$port"); probe="" ;;
    esac
    echo "\$ taskset -c 0 ${cmd[*]}" >"$log"
    (cd "$tmp" && exec nice -n "$nice_level" taskset -c 0 "${cmd[@]}") >>"$log" 2>&1 </dev/null &
    pid_of[$name]=$!
    register_pid "$!"
    port_of[$name]=$port
    if [[ -n "$probe" ]]; then
        wait_http "http://127.0.0.1:$port$probe" "${pid_of[$name]}" "$log" || return 1
    else
        local deadline=$(( SECONDS + 20 ))
        until [[ "$(curl -s --max-time 1 -X POST --data-binary ok "http://127.0.0.1:$port/echo" 2>/dev/null)" == ok ]]; do
            (( SECONDS < deadline )) && kill -0 "${pid_of[$name]}" 2>/dev/null || { tail -n 20 "$log" >&2; return 1; }
            sleep 0.1
        done
    fi
    echo "   $name: pid ${pid_of[$name]}, http://127.0.0.1:$port/, VmRSS $(awk '/^VmRSS/ { print $2, $3 }' "/proc/${pid_of[$name]}/status")"
}

ports=($(free_ports 3))
say "starting servers (CPU 0)"
start_server nodus "${ports[0]}" || die "nodus did not start"
start_server node-stream "${ports[1]}" || die "node stream.js did not start"
start_server node-echo "${ports[2]}" || die "node echo.js did not start"

kb() { awk -v k="$2" '$1 == k ":" { print $2 }' "/proc/$1/status"; }

printf 'test\tserver\trep\tcode\tbytes_down\tbytes_up\ttime_s\tserver_ticks\tclient_ticks\thwm_kb\trss_before_kb\tall_busy\tserver_sys_ticks\n' >"$out/runs.tsv"
run_one() {   # $1 test (download|upload), $2 server name, $3 rep (0 = warm-up)
    local test="$1" name="$2" rep="$3" pid="${pid_of[$2]}" t0 t1 c0 c1 b0 b1 k0 k1 rss hwm
    local log="$out/logs/client-$1-$2-$3.txt"
    echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true   # reset VmHWM to the current RSS
    rss=$(kb "$pid" VmRSS)
    t0=$(cpu_ticks "$pid"); c0=$(children_ticks); b0=$(cpus_busy); k0=$(sys_ticks "$pid")
    # stream_client prints "STATUS BODY_BYTES_RECEIVED BODY_BYTES_SENT SECONDS".
    if [[ $test == download ]]; then
        timeout 330 nice -n "$nice_level" taskset -c 1 "$client_bin" download 127.0.0.1 "${port_of[$name]}" \
            "/stream?bytes=$bytes" >"$log" 2>&1 || true
    else
        timeout 330 nice -n "$nice_level" taskset -c 1 "$client_bin" upload 127.0.0.1 "${port_of[$name]}" \
            /echo "$bytes" >"$log" 2>&1 || true
    fi
    t1=$(cpu_ticks "$pid"); c1=$(children_ticks); b1=$(cpus_busy); k1=$(sys_ticks "$pid")
    hwm=$(kb "$pid" VmHWM)
    kill -0 "$pid" 2>/dev/null || { echo "   $name died (see $out/logs/$name.log)"; return 1; }
    [[ $rep == 0 ]] && return 0
    local code down up secs
    read -r code down up secs <"$log" || true
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$test" "$name" "$rep" "${code:-0}" "${down:-0}" "${up:-0}" \
        "${secs:-0}" "$(( t1 - t0 ))" "$(( c1 - c0 ))" "$hwm" "$rss" "$(( b1 - b0 ))" "$(( k1 - k0 ))" >>"$out/runs.tsv"
    awk -v t="$test" -v n="$name" -v r="$rep" -v c="${code:-0}" -v d="${down:-0}" -v u="${up:-0}" -v s="${secs:-0}" \
        -v st="$(( t1 - t0 ))" -v ct="$(( c1 - c0 ))" -v hz="$clk_tck" -v h="$hwm" -v b="$bytes" 'BEGIN {
        ok = (c == 200 && d == b && (t == "download" || u == b)) ? "" : "  INCOMPLETE: status " c ", " d " bytes down, " u " up"
        printf "   %-8s %-11s #%d %8.1f MB/s in %6.2f s  server CPU %5.1f%% (%.2f s/GiB)  client CPU %5.1f%%  peak RSS %6.1f MiB%s\n",
            t, n, r, (s > 0 ? b / s / 1e6 : 0), s, (s > 0 ? st / hz / s * 100 : 0), st / hz / (b / 1073741824),
            (s > 0 ? ct / hz / s * 100 : 0), h / 1024, ok }'
}

say "warm-up: one 64 MiB transfer of each kind per server"
saved=$bytes; bytes=67108864
run_one download nodus 0; run_one download node-stream 0; run_one upload nodus 0; run_one upload node-echo 0
bytes=$saved

say "runs: $reps x 2 tests x 2 servers, $bytes bytes each, interleaved"
for (( rep = 1; rep <= reps; rep++ )); do
    for test in download upload; do
        other=$([[ $test == download ]] && echo node-stream || echo node-echo)
        if (( rep % 2 )); then pair=(nodus "$other"); else pair=("$other" nodus); fi
        for s in "${pair[@]}"; do run_one "$test" "$s" "$rep" || die "$s died"; sleep 1; done
    done
done

say "results"
python3 - "$out" "$clk_tck" "$reps" "$bytes" <<'PY' | tee "$out/results.md"
import csv, statistics, sys
out, hz, reps, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rows = list(csv.DictReader(open(f"{out}/runs.tsv"), delimiter="\t"))
label = {"nodus": "nodus (apps/echo)", "node-stream": "Node.js (bench/node/stream.js)", "node-echo": "Node.js (bench/node/echo.js)"}
what = {"download": "GET /stream: %d bytes written by the app in 64 KiB blocks" % size,
        "upload": "POST /echo: a %d-byte upload streamed back" % size}
print(f"One transfer at a time, server on CPU 0, bench/stream_client on CPU 1; medians of {reps} interleaved runs. "
      "MB/s = 10^6 bytes/s of body (for /echo the body goes up and comes back at that rate).\n")
print("| test | server | MB/s | runs (MB/s) | ÷ Node.js | server CPU | server CPU s/GiB | CPU s/GiB ÷ Node.js | kernel share | client CPU | others' CPU | peak RSS (VmHWM) | complete runs |")
print("|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")

for test in ("download", "upload"):
    med = {}
    for n in ("nodus", "node-stream" if test == "download" else "node-echo"):
        rs = [r for r in rows if r["test"] == test and r["server"] == n]
        ok = [r for r in rs if r["code"] == "200" and int(r["bytes_down"]) == size and (test == "download" or int(r["bytes_up"]) == size)]
        if not ok: continue
        secs = [float(r["time_s"]) for r in ok]
        med[n] = dict(mbps=statistics.median([size / s / 1e6 for s in secs]),
                      cpu=statistics.median([int(r["server_ticks"]) / hz / float(r["time_s"]) * 100 for r in ok]),
                      cpg=statistics.median([int(r["server_ticks"]) / hz / (size / 2**30) for r in ok]),
                      ksh=statistics.median([int(r["server_sys_ticks"]) / max(1, int(r["server_ticks"])) * 100 for r in ok]),
                      ccpu=statistics.median([int(r["client_ticks"]) / hz / float(r["time_s"]) * 100 for r in ok]),
                      oth=statistics.median([max(0, int(r["all_busy"]) - int(r["server_ticks"]) - int(r["client_ticks"])) / hz / float(r["time_s"]) * 100 for r in ok]),
                      runs=[size / float(r["time_s"]) / 1e6 for r in ok],
                      hwm=max(int(r["hwm_kb"]) for r in rs), ok=len(ok), n=len(rs))
    node = [v for k, v in med.items() if k.startswith("node-")]
    for n, m in med.items():
        ratio = f"{m['mbps'] / node[0]['mbps']:.2f}" if node else "–"
        cratio = f"{m['cpg'] / node[0]['cpg']:.2f}" if node else "–"
        runs = ", ".join(f"{x:,.0f}" for x in m["runs"])
        print(f"| {what[test]} | {label[n]} | {m['mbps']:,.0f} | {runs} | {ratio} | {m['cpu']:.0f} % | {m['cpg']:.2f} | {cratio} | "
              f"{m['ksh']:.0f} % | {m['ccpu']:.0f} % | {m['oth']:.0f} % | {m['hwm'] / 1024:.1f} MiB | {m['ok']}/{m['n']} |")
print("\nPeak RSS: the highest VmHWM over the runs, reset to the current RSS before each transfer. "
      "Others' CPU: busy time of both CPUs (/proc/stat) not spent by the server or the client, over the transfer. "
      "Kernel share: the server's stime over its utime + stime, i.e. how much of the server's CPU time "
      "went to the kernel's copying and TCP work rather than to the server's own code. The kernel splits "
      "utime and stime by sampling at each clock tick, so on short transfers (a few dozen ticks) that share is coarse.")
PY
echo
echo "raw data and logs: $out"
exit 0
}
