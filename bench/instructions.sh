#!/usr/bin/env bash
# User-space instructions per hello-world request under callgrind, for the traffic patterns a
# deployment sees: HTTP/1.1 keep-alive (wrk), HTTP/1.0 `Connection: keep-alive` (ab -k), each
# with the access log off and on (to a file), and HTTP/1.0 with a connection per request (ab
# without -k; the floor, which never closes, is left out of that one), for nodus and for nginx configured the same
# (one process, `access_log FILE combined buffer=64k` when on), and the floor yardstick
# (bench/floor: one recv and one send per request). Instruction counts do not move with the
# machine's load, so this is the figure to compare before and after a change.
#
#   bash bench/instructions.sh [--bin PATH] [--out DIR] [--servers LIST]
#
#   --bin PATH      the hello binary to measure (default: build/apps/hello/hello, built in Release
#                   by scripts/build.sh --release when missing)
#   --out DIR       where to keep the callgrind files and logs (default: a temporary folder)
#   --config F      the INI file to start it with (default: config/hello.ini; an older build
#                   needs the file of its own tree)
#   --servers LIST  nodus,nginx,floor (default: all three; nginx and floor are left out when
#                   missing). The floor has no access log: each case is divided by the floor's
#                   figure for the same client (wrk or ab) without it.
#   --floor PATH    the floor binary (default: build/bench/floor_hello_epoll next to --bin's tree)
#   --metrics       measure what metrics cost instead (nodus only): each keep-alive case with the
#                   admin listener off, then on ([admin] port set, so every request is counted)
#
# Needs valgrind, wrk and ab (scripts/setup.sh --bench). Prints one line per case and a
# markdown table, with each figure divided by the floor's.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
source "$bench/common.sh"

bin="$root/build/apps/hello/hello"
out=""
config="$root/config/hello.ini"
servers="nodus,nginx,floor"
floor_bin=""
metrics=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --bin) bin="$2"; shift ;;
        --out) out="$2"; shift ;;
        --config) config="$2"; shift ;;
        --servers) servers="$2"; shift ;;
        --floor) floor_bin="$2"; shift ;;
        --metrics) metrics=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done
for tool in valgrind callgrind_control wrk ab; do
    command -v "$tool" >/dev/null || die "$tool is missing (bash scripts/setup.sh --bench)"
done
if [[ ! -x "$bin" ]]; then
    bash "$root/scripts/build.sh" --release -- --target hello
fi
[[ -n "$floor_bin" ]] || floor_bin="$(dirname "$(dirname "$(dirname "$bin")")")/bench/floor_hello_epoll"
has() { [[ ",$servers," == *",$1,"* ]]; }
if has nginx && [[ ! -x "$nginx_bin" ]]; then echo "nginx missing: left out"; servers="${servers//nginx/}"; fi
if has floor && [[ ! -x "$floor_bin" ]]; then echo "no $floor_bin: floor left out"; servers="${servers//floor/}"; fi
[[ -n "$out" ]] || out="$(mktemp -d)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
tmp="$out/tmp"
mkdir -p "$tmp"
trap bench_cleanup EXIT

# name | access log | admin listener (metrics) | load command (URL appended)
cases=(
    "HTTP/1.1 keep-alive, wrk -c10|false|off|wrk -t1 -c10 -d3s"
    "HTTP/1.1 keep-alive, wrk -c10, access log|true|off|wrk -t1 -c10 -d3s"
    "HTTP/1.0 keep-alive, ab -k -c50|false|off|ab -q -k -c50 -n 20000"
    "HTTP/1.0 keep-alive, ab -k -c50, access log|true|off|ab -q -k -c50 -n 20000"
    "HTTP/1.0, a connection per request, ab -c50|false|off|ab -q -c50 -n 5000"
)
extra="access log"
if [[ $metrics == 1 ]]; then
    servers="nodus"
    extra="metrics"
    cases=(
        "HTTP/1.1 keep-alive, wrk -c10, metrics off|false|off|wrk -t1 -c10 -d3s"
        "HTTP/1.1 keep-alive, wrk -c10, metrics on|false|on|wrk -t1 -c10 -d3s"
        "HTTP/1.0 keep-alive, ab -k -c50, metrics off|false|off|ab -q -k -c50 -n 20000"
        "HTTP/1.0 keep-alive, ab -k -c50, metrics on|false|on|ab -q -k -c50 -n 20000"
    )
fi

# The command line of server $1 on port $2 with the access log $3 (true/false) to file $4, and
# the admin listener $5 (on/off).
server_cmd() {
    case "$1" in
        nodus) cmd=("$bin" --config "$config" --log.level=warn "--log.access_log=$3"
                    "--log.destination=$4" "--server.port=$2" --server.host=127.0.0.1
                    --cluster.workers=0 --http.keep_alive_timeout_ms=600000)
               if [[ $5 == on ]]; then cmd+=("--admin.port=$(free_ports 1)"); fi ;;
        nginx) local dir; dir=$(write_nginx_conf "$2" 1 4096 "$([[ $3 == true ]] && echo "$4")")
               cmd=("$nginx_bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf") ;;
        floor) cmd=("$floor_bin" "$2") ;;
    esac
}

printf 'server\tcase\trequests\tinstructions\n' >"$out/instructions.tsv"
n=0
for server in nodus nginx floor; do
    has "$server" || continue
    for c in "${cases[@]}"; do
        IFS='|' read -r label access admin load <<<"$c"
        # The floor has no access log, and never closes (ab without -k waits for the close).
        [[ $server == floor && ( $access == true || $label == *"connection per request"* ) ]] && continue
        n=$((n + 1))
        port=$(free_ports 1)
        cg="$out/case$n"
        server_cmd "$server" "$port" "$access" "$out/access$n.log" "$admin"
        taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$cg.out" "${cmd[@]}" \
            >"$cg.log" 2>&1 </dev/null &
        vpid=$!
        register_pid "$vpid"
        wait_http "http://127.0.0.1:$port/" "$vpid" "$cg.log" || die "$server under valgrind did not answer (see $cg.log)"
        taskset -c 1 wrk -t1 -c10 -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
        callgrind_control -z "$vpid" >/dev/null 2>&1
        if [[ $load == wrk* ]]; then
            requests=$(taskset -c 1 $load -s "$bench/report.lua" "http://127.0.0.1:$port/" 2>&1 |
                sed -n 's/^NODUS_WRK .*requests=\([0-9]*\).*/\1/p')
        else
            requests=$(taskset -c 1 $load "http://127.0.0.1:$port/" 2>&1 |
                awk '/^Complete requests:/ { print $3 }')
        fi
        # The dump request is served when the process next runs; one asleep in epoll_wait
        # after the load may not wake up by itself, so after a second a request wakes it
        # (and is counted).
        callgrind_control -d "$vpid" >/dev/null 2>&1 &
        dumper=$!
        for i in $(seq 100); do
            ls "$cg.out".* >/dev/null 2>&1 && break
            if (( i == 10 )) && [[ -n "$requests" ]]; then
                curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$port/" && requests=$((requests + 1))
            fi
            sleep 0.1
        done
        wait "$dumper" 2>/dev/null || true
        stop_pids "$vpid"
        dump=$(ls -t "$cg.out".* 2>/dev/null | head -n1 || true)
        instr=""
        [[ -n "$dump" ]] && instr=$(awk '/^(summary|totals):/ { print $2; exit }' "$dump")
        [[ -n "$requests" && -n "$instr" ]] || { echo "$server $label: no result (see $cg.log)"; continue; }
        printf '%s\t%s\t%s\t%s\n' "$server" "$label" "$requests" "$instr" >>"$out/instructions.tsv"
        awk -v s="$server" -v l="$label" -v q="$requests" -v i="$instr" \
            'BEGIN { printf "%-6s %-46s %8d requests  %7.0f instructions/request\n", s, l, q, i / q }'
    done
done

python3 - "$out" "$extra" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/instructions.tsv"), delimiter="\t"))
per = {(r["server"], r["case"]): int(r["instructions"]) / int(r["requests"]) for r in rows}
cases = list(dict.fromkeys(r["case"] for r in rows))
# Each case beside the floor under the same client: the case's name without what was added.
floor_of = lambda c: per.get(("floor", c.split(", access log")[0].split(", metrics")[0]))
print("\n| case | nodus | nginx | nodus ÷ nginx | nodus ÷ floor | nginx ÷ floor |")
print("|---|--:|--:|--:|--:|--:|")
fmt = lambda v: f"{v:,.0f}" if v is not None else "–"
ratio = lambda a, b: f"{a / b:.2f}" if a is not None and b else "–"
for c in cases:
    a, b = per.get(("nodus", c)), per.get(("nginx", c))
    f = floor_of(c)
    print(f"| {c} | {fmt(a)} | {fmt(b)} | {ratio(a, b)} | {ratio(a, f)} | {ratio(b, f)} |")
extra = sys.argv[2]
for name, on, off in ((f"{extra}, HTTP/1.1", 1, 0), (f"{extra}, HTTP/1.0", 3, 2)):
    if len(cases) > on:
        d = lambda s: (per[(s, cases[on])] - per[(s, cases[off])]) if (s, cases[on]) in per and (s, cases[off]) in per else None
        print(f"| extra cost of the {name} | {'+' + fmt(d('nodus')) if d('nodus') is not None else '–'} | "
              f"{'+' + fmt(d('nginx')) if d('nginx') is not None else '–'} | {ratio(d('nodus'), d('nginx'))} | | |")
for c in cases:
    if ("floor", c) in per:
        print(f"floor (one recv + one send per request), {c}: {per[('floor', c)]:,.0f} user-space instructions/request")
PY
echo "callgrind files and logs: $out"
