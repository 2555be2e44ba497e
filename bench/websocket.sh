#!/usr/bin/env bash
# WebSocket echo of small messages: nodus (apps/chat's /echo) beside Node.js with the npm
# package `ws` (bench/node/ws_echo.js), and the epoll floor (bench/floor) as the kernel's share
# of one recv and one send.
#
#   bash bench/websocket.sh [--reps N] [--duration S] [--conns N] [--idle N] [--out DIR] [--no-build]
#                           [--chat PATH]
#
# Each server runs on CPU 0; bench/ws_client.c on CPU 1 keeps --conns connections (50) each
# sending a 32-byte text message and waiting for its echo. CPU per message = Δ(utime + stime) of
# the server / echoes; medians of interleaved runs. The floor answers wrk's requests over
# keep-alive (one recv, one send each), the least a server can pay per message. Then the RSS
# each server needs per idle WebSocket with --idle connections (10,000) open and silent, and
# nodus's with permessage-deflate negotiated and used once per connection (bench/ws_app.cpp;
# with context takeover, and without). --chat runs another build of apps/chat (e.g. an older
# commit's) as nodus.
# Needs `bash scripts/setup.sh --bench` (wrk, node) and npm (installs bench/node's packages).
set -euo pipefail
{
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
invocation="bash bench/websocket.sh $*"
# shellcheck source=bench/common.sh
source "$bench/common.sh"

reps=3
duration=10
conns=50
idle=10000
out=""
build=1
build_dir="$root/build-bench"
chat_override=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --reps) reps="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --conns) conns="$2"; shift ;;
        --idle) idle="$2"; shift ;;
        --out) out="$2"; shift ;;
        --no-build) build=0 ;;
        --chat) chat_override="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for tool in wrk python3 taskset node npm; do command -v "$tool" >/dev/null || die "'$tool' not found"; done
if [[ $build == 1 ]]; then
    say "building chat, ws_client and floor_hello_epoll (Release) in $build_dir"
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNODUS_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build_dir" -j2 --target chat ws_client floor_hello_epoll ws_bench
fi
chat="${chat_override:-$build_dir/apps/chat/chat}"
ws_bench="$build_dir/bench/ws_bench"
client="$build_dir/bench/ws_client"
floor_bin="$build_dir/bench/floor_hello_epoll"
for b in "$chat" "$client" "$floor_bin" "$ws_bench"; do [[ -x "$b" ]] || die "no $b"; done
[[ -d "$bench/node/node_modules/ws" ]] || (cd "$bench/node" && npm ci --no-audit --no-fund >/dev/null)

bench_prepare websocket
machine_notes "$invocation" >"$out/machine.txt"
echo "settings: $reps x ${duration}s, $conns connections, 32-byte text messages, servers on CPU 0, client on CPU 1" >>"$out/machine.txt"
say "machine"; cat "$out/machine.txt"

ports=($(free_ports 5))
declare -A pid_of=() port_of=() path_of=()
start() {   # $1 name, $2 port, command...
    local name="$1" port="$2"; shift 2
    (cd "$tmp" && exec taskset -c 0 "$@") >"$out/logs/$name.log" 2>&1 </dev/null &
    pid_of[$name]=$!
    register_pid "$!"
    port_of[$name]=$port
}
start nodus "${ports[0]}" "$chat" --config "$root/config/chat.ini" "--server.port=${ports[0]}" --log.level=warn
path_of[nodus]=/echo
start node "${ports[1]}" node "$bench/node/ws_echo.js" "${ports[1]}"
path_of[node]=/
start floor "${ports[2]}" "$floor_bin" "${ports[2]}"
start deflate "${ports[3]}" "$ws_bench" --config "$root/config/chat.ini" "--server.port=${ports[3]}" --log.level=warn
path_of[deflate]=/
NODUS_BENCH_WS_NO_TAKEOVER=1 start deflate_nct "${ports[4]}" "$ws_bench" --config "$root/config/chat.ini" \
    "--server.port=${ports[4]}" --log.level=warn
path_of[deflate_nct]=/
for s in nodus node floor deflate deflate_nct; do
    deadline=$(( SECONDS + 20 ))
    until (exec 3<>"/dev/tcp/127.0.0.1/${port_of[$s]}") 2>/dev/null; do
        (( SECONDS < deadline )) || die "$s did not start (see $out/logs/$s.log)"
        sleep 0.1
    done
done

printf 'server\trep\tmessages\tseconds\tticks\n' >"$out/runs.tsv"
run_one() {   # $1 server, $2 rep (0 = warm-up)
    local s="$1" pid="${pid_of[$1]}" d="$duration" t0 t1 line
    [[ $2 == 0 ]] && d=2
    t0=$(cpu_ticks "$pid")
    if [[ $s == floor ]]; then
        line=$(taskset -c 1 wrk -t1 -c"$conns" -d"${d}s" -s "$bench/report.lua" "http://127.0.0.1:${port_of[floor]}/" 2>&1 |
               awk '/^NODUS_WRK/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                                   printf "%d %.3f\n", v["requests"], v["duration_us"] / 1e6 }')
    else
        line=$(taskset -c 1 "$client" echo 127.0.0.1 "${port_of[$s]}" "${path_of[$s]}" "$conns" "$d" 32)
    fi
    t1=$(cpu_ticks "$pid")
    [[ $2 == 0 ]] && return 0
    printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$2" ${line} "$(( t1 - t0 ))" >>"$out/runs.tsv"
    awk -v s="$s" -v r="$2" -v l="$line" -v t="$(( t1 - t0 ))" -v hz="$clk_tck" 'BEGIN { split(l, f, " ")
        printf "   %-6s #%d %9.0f msg/s %6.2f us CPU/msg\n", s, r, f[1] / f[2], t * 1e6 / hz / f[1] }'
}
say "warm-up"
for s in nodus node floor; do run_one "$s" 0; done
say "runs: $reps x 3 x ${duration}s"
for (( rep = 1; rep <= reps; rep++ )); do for s in nodus node floor; do run_one "$s" "$rep"; done; done

say "idle WebSockets: $idle connections each"
idle_rss() {   # $1 server, $2 client mode: RSS growth per idle connection, in bytes
    local s="$1" mode="${2:-idle}" pid="${pid_of[$1]}" r0 r1 fifo="$tmp/idle-$1"
    mkfifo "$fifo"
    r0=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
    taskset -c 1 "$client" "$mode" 127.0.0.1 "${port_of[$s]}" "${path_of[$s]}" "$idle" <"$fifo" >"$tmp/idle-$1.out" 2>&1 &
    local cpid=$!
    exec 7>"$fifo"
    local deadline=$(( SECONDS + 120 ))
    until grep -q '^ready' "$tmp/idle-$1.out" 2>/dev/null; do
        (( SECONDS < deadline )) && kill -0 "$cpid" 2>/dev/null || { cat "$tmp/idle-$1.out" >&2; die "$s: the idle connections did not open"; }
        sleep 0.2
    done
    sleep 2 # idle means idle: past the route timer's next visit (at most 1 s apart), which frees zlib's streams without context takeover
    r1=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
    exec 7>&-
    wait "$cpid" || true
    echo $(( (r1 - r0) * 1024 / idle ))
}
printf 'server\tidle_bytes_per_conn\n' >"$out/idle.tsv"
for s in nodus node deflate deflate_nct; do
    mode=idle
    [[ $s == deflate* ]] && mode=idle-deflate
    b=$(idle_rss "$s" "$mode")
    printf '%s\t%s\n' "$s" "$b" >>"$out/idle.tsv"
    echo "   $s: $b B per idle WebSocket"
done

say "results"
python3 - "$out" "$clk_tck" "$reps" "$duration" "$conns" <<'PY' | tee "$out/results.md"
import csv, statistics, sys
out, hz, reps, dur, conns = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
rows = list(csv.DictReader(open(f"{out}/runs.tsv"), delimiter="\t"))
cpu = {s: statistics.median(int(r["ticks"]) * 1e6 / hz / int(r["messages"]) for r in rows if r["server"] == s)
       for s in ("nodus", "node", "floor")}
rate = {s: statistics.median(int(r["messages"]) / float(r["seconds"]) for r in rows if r["server"] == s)
        for s in ("nodus", "node", "floor")}
idle = {r["server"]: int(r["idle_bytes_per_conn"]) for r in csv.DictReader(open(f"{out}/idle.tsv"), delimiter="\t")}
print(f"{conns} connections, 32-byte messages echoed, {dur} s runs, medians of {reps}; server on CPU 0.\n")
print("| server | messages/s | CPU µs/message | ÷ Node `ws` | ÷ floor | RSS per idle WebSocket |")
print("|---|--:|--:|--:|--:|--:|")
for s, name in (("nodus", "nodus"), ("node", "Node.js + `ws`"), ("floor", "floor (recv + send)")):
    print(f"| {name} | {rate[s]:,.0f} | {cpu[s]:.2f} | {cpu[s] / cpu['node']:.2f} | {cpu[s] / cpu['floor']:.2f} | "
          f"{idle.get(s, '–') if s != 'floor' else '–'} |")
print(f"\nnodus with permessage-deflate negotiated and used once per connection: {idle['deflate']} B per idle "
      f"WebSocket with context takeover, {idle['deflate_nct']} B without (deflate_no_context_takeover).")
PY
echo
echo "raw data and logs: $out"
exit 0
}
