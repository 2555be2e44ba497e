#!/usr/bin/env bash
# static_files next to nginx 1.22 serving the same files with `sendfile on`: CPU per request
# and user-space instructions per request (callgrind), for a 4 KiB and a 1 MiB file, over
# keep-alive connections (wrk -t1 -cN). One process each, both pinned to CPU 0 with wrk on
# CPU 1, measured in the same run, nodus and nginx alternating; CPU is the server's own
# utime + stime (/proc/PID/stat) over the timed run, divided by the requests wrk completed.
#
#   bash bench/static.sh [--duration S] [--connections N] [--no-callgrind] [--out DIR]
#                        [--build-dir DIR] [--no-build]
#
#   --duration S     seconds of each timed wrk run (default 5)
#   --connections N  wrk connections (default 10)
#   --no-callgrind   skip the instruction counts
#   --out DIR        results folder (default build-bench/bench-results/static-DATE)
#   --build-dir DIR  the Release build of bench/static_app.cpp (default build-bench)
#
# nodus: bench/static_app.cpp, `app.use(nodus::static_files(dir))` with the default options
# (ETag, Last-Modified, Cache-Control, Accept-Ranges; open + fstat on the thread pool; body by
# sendfile). nginx: `root dir; sendfile on; access_log off`, one worker, no master
# (`tcp_nopush on` left at its default, off: on loopback it made nginx's 1 MiB answers cost
# four times the kernel CPU). Needs wrk and valgrind (scripts/setup.sh --bench).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
source "$bench/common.sh"

duration=5
conns=10
callgrind=1
out=""
build_dir="$root/build-bench"
build=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) duration="$2"; shift ;;
        --connections) conns="$2"; shift ;;
        --no-callgrind) callgrind=0 ;;
        --out) out="$2"; shift ;;
        --build-dir) build_dir="$2"; shift ;;
        --no-build) build=0 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done
command -v wrk >/dev/null || die "wrk is missing (bash scripts/setup.sh --bench)"
[[ $callgrind == 0 ]] || command -v valgrind >/dev/null || die "valgrind is missing (bash scripts/setup.sh --bench)"
[[ -x $nginx_bin ]] || die "nginx is missing"
bench_build static_bench bench/static_bench
bin="$build_dir/bench/static_bench"
bench_prepare static
machine_notes "bash bench/static.sh $*" | tee "$out/machine.txt"

www="$tmp/www"
mkdir -p "$www"
export STATIC_BENCH_ROOT="$www"   # read by bench/static_app.cpp
head -c 4096 /dev/urandom >"$www/4k.bin"
head -c 1048576 /dev/urandom >"$www/1m.bin"

nginx_conf() {   # $1 port -> prints the prefix directory
    local dir="$tmp/nginx-$1"
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<NGX
worker_processes 1;
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    keepalive_timeout 600s;
    default_type application/octet-stream;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    server {
        listen 127.0.0.1:$1 backlog=4096;
        root $www;
    }
}
NGX
    echo "$dir"
}

server_cmd() {   # $1 server, $2 port -> sets cmd
    case "$1" in
        nodus) cmd=("$bin" --config "$root/config/hello.ini" --log.level=warn
                    --log.access_log=false "--server.port=$2" --server.host=127.0.0.1 --cluster.workers=0
                    --http.keep_alive_timeout_ms=600000) ;;
        nginx) local dir; dir=$(nginx_conf "$2"); cmd=("$nginx_bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf") ;;
    esac
}

wrk_requests() {   # $1 seconds, $2 url -> requests completed
    taskset -c 1 wrk -t1 "-c$conns" "-d$1s" -s "$bench/report.lua" "$2" 2>&1 |
        sed -n 's/^NODUS_WRK .*requests=\([0-9]*\).*/\1/p'
}

printf 'server\tfile\trequests\tcpu_us_per_request\n' >"$out/cpu.tsv"
say "CPU per request, wrk -t1 -c$conns -d${duration}s"
for file in 4k.bin 1m.bin; do
    for server in nodus nginx; do
        port=$(free_ports 1)
        server_cmd "$server" "$port"
        taskset -c 0 "${cmd[@]}" >"$out/logs/$server-$file.log" 2>&1 </dev/null &
        pid=$!
        register_pid "$pid"
        url="http://127.0.0.1:$port/$file"
        wait_http "$url" "$pid" "$out/logs/$server-$file.log" || die "$server did not answer"
        curl -s -o "$tmp/check" "$url"
        cmp -s "$tmp/check" "$www/$file" || die "$server served other bytes for $file"
        wrk_requests 1 "$url" >/dev/null
        t0=$(cpu_ticks "$pid")
        requests=$(wrk_requests "$duration" "$url")
        t1=$(cpu_ticks "$pid")
        stop_pids "$pid"
        us=$(awk -v t=$((t1 - t0)) -v hz="$clk_tck" -v q="$requests" 'BEGIN { printf "%.2f", t * 1e6 / hz / q }')
        printf '%s\t%s\t%s\t%s\n' "$server" "$file" "$requests" "$us" >>"$out/cpu.tsv"
        printf '%-6s %-7s %9d requests  %8s µs CPU/request\n' "$server" "$file" "$requests" "$us"
    done
done

if [[ $callgrind == 1 ]]; then
    printf 'server\tfile\trequests\tinstructions\n' >"$out/instructions.tsv"
    say "user-space instructions per request (callgrind), wrk -t1 -c$conns -d2s"
    for file in 4k.bin 1m.bin; do
        for server in nodus nginx; do
            port=$(free_ports 1)
            server_cmd "$server" "$port"
            cg="$out/callgrind-$server-$file"
            taskset -c 0 valgrind --tool=callgrind "--callgrind-out-file=$cg.out" "${cmd[@]}" >"$cg.log" 2>&1 </dev/null &
            vpid=$!
            register_pid "$vpid"
            wait_http "http://127.0.0.1:$port/$file" "$vpid" "$cg.log" || die "$server under valgrind did not answer"
            wrk_requests 1 "http://127.0.0.1:$port/$file" >/dev/null
            callgrind_control -z "$vpid" >/dev/null 2>&1
            requests=$(wrk_requests 2 "http://127.0.0.1:$port/$file")
            callgrind_control -d "$vpid" >/dev/null 2>&1
            stop_pids "$vpid"
            dump=$(ls -t "$cg.out".* 2>/dev/null | head -n1)
            instr=$([[ -n "$dump" ]] && awk '/^(summary|totals):/ { print $2; exit }' "$dump")
            [[ -n "$requests" && -n "$instr" ]] || { echo "$server $file: no result (see $cg.log)"; continue; }
            printf '%s\t%s\t%s\t%s\n' "$server" "$file" "$requests" "$instr" >>"$out/instructions.tsv"
            awk -v s="$server" -v f="$file" -v q="$requests" -v i="$instr" \
                'BEGIN { printf "%-6s %-7s %9d requests  %9.0f instructions/request\n", s, f, q, i / q }'
        done
    done
fi

python3 - "$out" <<'PY'
import csv, os, sys
out = sys.argv[1]
def table(name, col):
    path = f"{out}/{name}"
    if not os.path.exists(path):
        return {}
    return {(r["server"], r["file"]): float(r[col]) / (float(r["requests"]) if col == "instructions" else 1)
            for r in csv.DictReader(open(path), delimiter="\t")}
cpu = table("cpu.tsv", "cpu_us_per_request")
ins = table("instructions.tsv", "instructions")
print("\n| file | nodus µs CPU/req | nginx µs CPU/req | nodus ÷ nginx | nodus instr/req | nginx instr/req | nodus ÷ nginx |")
print("|---|--:|--:|--:|--:|--:|--:|")
for f in ("4k.bin", "1m.bin"):
    a, b = cpu.get(("nodus", f)), cpu.get(("nginx", f))
    c, d = ins.get(("nodus", f)), ins.get(("nginx", f))
    r = lambda x, y: f"{x / y:.2f}" if x and y else "–"
    v = lambda x, p: f"{x:,.{p}f}" if x else "–"
    print(f"| {f} | {v(a, 2)} | {v(b, 2)} | {r(a, b)} | {v(c, 0)} | {v(d, 0)} | {r(c, d)} |")
PY
echo "results: $out"
