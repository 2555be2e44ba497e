#!/usr/bin/env bash
# User-space instructions per hello-world request under callgrind, for the traffic patterns a
# deployment sees: HTTP/1.1 keep-alive (wrk), HTTP/1.0 `Connection: keep-alive` (ab -k), each
# with the access log off and on (to a file). Instruction counts do not move with the machine's
# load, so this is the figure to compare before and after a change.
#
#   bash bench/instructions.sh [--bin PATH] [--out DIR]
#
#   --bin PATH   the hello binary to measure (default: build/apps/hello/hello, built in Release
#                by scripts/build.sh --release when missing)
#   --out DIR    where to keep the callgrind files and logs (default: a temporary folder)
#   --config F   the INI file to start it with (default: config/hello.ini; an older build
#                needs the file of its own tree)
#   --metrics    measure what metrics cost instead: each keep-alive case with the admin
#                listener off, then on ([admin] port set, so every request is counted)
#
# Needs valgrind, wrk and ab (scripts/setup.sh --bench). Prints one line per case and a
# markdown table.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
source "$bench/common.sh"

bin="$root/build/apps/hello/hello"
out=""
config="$root/config/hello.ini"
metrics=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --bin) bin="$2"; shift ;;
        --out) out="$2"; shift ;;
        --config) config="$2"; shift ;;
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
[[ -n "$out" ]] || out="$(mktemp -d)"
mkdir -p "$out"
trap bench_cleanup EXIT

# name | access log | admin listener | load command (URL appended)
cases=(
    "HTTP/1.1 keep-alive, wrk -c10|false|off|wrk -t1 -c10 -d3s"
    "HTTP/1.1 keep-alive, wrk -c10, access log|true|off|wrk -t1 -c10 -d3s"
    "HTTP/1.0 keep-alive, ab -k -c50|false|off|ab -q -k -c50 -n 20000"
    "HTTP/1.0 keep-alive, ab -k -c50, access log|true|off|ab -q -k -c50 -n 20000"
)
if [[ $metrics == 1 ]]; then
    cases=(
        "HTTP/1.1 keep-alive, wrk -c10, metrics off|false|off|wrk -t1 -c10 -d3s"
        "HTTP/1.1 keep-alive, wrk -c10, metrics on|false|on|wrk -t1 -c10 -d3s"
        "HTTP/1.0 keep-alive, ab -k -c50, metrics off|false|off|ab -q -k -c50 -n 20000"
        "HTTP/1.0 keep-alive, ab -k -c50, metrics on|false|on|ab -q -k -c50 -n 20000"
    )
fi

printf 'case\trequests\tinstructions\n' >"$out/instructions.tsv"
n=0
for c in "${cases[@]}"; do
    IFS='|' read -r label access admin load <<<"$c"
    n=$((n + 1))
    read -r port admin_port <<<"$(free_ports 2)"
    admin_flags=()
    if [[ $admin == on ]]; then admin_flags=("--admin.port=$admin_port"); fi
    cg="$out/case$n"
    taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$cg.out" \
        "$bin" --config "$config" --log.level=warn "--log.access_log=$access" \
        "--log.destination=$out/access$n.log" "--server.port=$port" --server.host=127.0.0.1 \
        --cluster.workers=0 --http.keep_alive_timeout_ms=600000 "${admin_flags[@]}" >"$cg.log" 2>&1 </dev/null &
    vpid=$!
    register_pid "$vpid"
    wait_http "http://127.0.0.1:$port/" "$vpid" "$cg.log" || die "hello under valgrind did not answer (see $cg.log)"
    taskset -c 1 wrk -t1 -c10 -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
    callgrind_control -z "$vpid" >/dev/null 2>&1
    if [[ $load == wrk* ]]; then
        requests=$(taskset -c 1 $load -s "$bench/report.lua" "http://127.0.0.1:$port/" 2>&1 |
            sed -n 's/^NODUS_WRK .*requests=\([0-9]*\).*/\1/p')
    else
        requests=$(taskset -c 1 $load "http://127.0.0.1:$port/" 2>&1 |
            awk '/^Complete requests:/ { print $3 }')
    fi
    callgrind_control -d "$vpid" >/dev/null 2>&1
    stop_pids "$vpid"
    dump=$(ls -t "$cg.out".* 2>/dev/null | head -n1)
    instr=$([[ -n "$dump" ]] && awk '/^(summary|totals):/ { print $2; exit }' "$dump")
    [[ -n "$requests" && -n "$instr" ]] || { echo "$label: no result (see $cg.log)"; continue; }
    printf '%s\t%s\t%s\n' "$label" "$requests" "$instr" >>"$out/instructions.tsv"
    awk -v l="$label" -v q="$requests" -v i="$instr" \
        'BEGIN { printf "%-46s %8d requests  %7.0f instructions/request\n", l, q, i / q }'
done

python3 - "$out" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/instructions.tsv"), delimiter="\t"))
print("\n| case | requests | instructions / request |")
print("|---|--:|--:|")
for r in rows:
    print(f"| {r['case']} | {int(r['requests']):,} | {int(r['instructions']) / int(r['requests']):,.0f} |")
PY
echo "callgrind files and logs: $out"
