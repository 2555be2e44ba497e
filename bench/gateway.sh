#!/usr/bin/env bash
# apps/gateway beside nginx's `proxy_pass` in front of the same upstream (apps/hello), both
# keeping a keep-alive pool to it (nginx: an `upstream` block with `keepalive 32`,
# `proxy_http_version 1.1`, `Connection ""`), both setting Host and X-Forwarded-For/-Proto/-Host,
# access logs off, one process each.
#
#   bash bench/gateway.sh [--reps N] [--duration S] [--out DIR] [--no-build] [--no-callgrind]
#                         [--stream-bytes N] [--same-cpu]
#
# 1. CPU per proxied request: `wrk -t1 -c50` on CPU 1 against GET /api/ (forwarded as GET /),
#    the proxy on CPU 0, the upstream on CPU 1; proxy CPU = Δ(utime + stime) / requests,
#    medians of interleaved runs. Reported with the gateway's CPU divided by nginx's.
#    --same-cpu puts the proxy on CPU 1 too: no request then wakes the other CPU, so the
#    proxy's system time is its system calls rather than cross-CPU wake-ups, which on a
#    virtual machine cost more than the proxying and vary with how busy the other CPU is.
# 2. User-space instructions per proxied request under callgrind (wrk -t1 -c10 -d3s), for the
#    gateway and for nginx.
# 3. Streaming: --stream-bytes (default 1 GiB) downloaded through the gateway from apps/echo's
#    GET /stream and uploaded to its POST /echo (which sends it back as it arrives, so the
#    gateway carries it both ways at once), with the gateway's peak RSS (VmHWM) after each.
# Needs wrk, curl, nginx, valgrind (bash scripts/setup.sh --bench).
set -euo pipefail
{
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
invocation="bash bench/gateway.sh $*"
# shellcheck source=bench/common.sh
source "$bench/common.sh"

reps=3
duration=10
warmup=2
out=""
build=1
build_dir="$root/build-bench"
callgrind=1
stream_bytes=$((1 << 30))
proxy_cpu=0

while [[ $# -gt 0 ]]; do
    case "$1" in
        --reps) reps="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --out) out="$2"; shift ;;
        --no-build) build=0 ;;
        --build-dir) build_dir="$2"; shift ;;
        --no-callgrind) callgrind=0 ;;
        --stream-bytes) stream_bytes="$2"; shift ;;
        --same-cpu) proxy_cpu=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
[[ "$build_dir" = /* ]] || build_dir="$PWD/$build_dir" # the servers start in a temporary directory
for n in "$reps" "$duration" "$stream_bytes"; do [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: $n"; done
for tool in wrk python3 taskset curl; do command -v "$tool" >/dev/null || die "'$tool' not found"; done
[[ -x "$nginx_bin" ]] || die "nginx not found"
[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs (proxy on CPU 0, upstream and wrk on CPU 1)"

gateway="$build_dir/apps/gateway/gateway"
hello="$build_dir/apps/hello/hello"
echo_bin="$build_dir/apps/echo/echo"
if [[ $build == 1 ]]; then
    say "building gateway, hello and echo (Release) in $build_dir"
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNODUS_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build_dir" -j2 --target gateway hello echo
fi
for b in "$gateway" "$hello" "$echo_bin"; do [[ -x "$b" ]] || die "no $b"; done

bench_prepare gateway
machine_notes "$invocation" >"$out/machine.txt"
echo "settings: $reps x ${duration}s, wrk -t1 -c50 on CPU 1, proxies on CPU $proxy_cpu, upstream (apps/hello) on CPU 1, access logs off" >>"$out/machine.txt"
say "machine"; cat "$out/machine.txt"

# nginx as a reverse proxy doing what the gateway does: /api/ to the upstream's /, a
# keep-alive pool, the client's Host and the X-Forwarded-* fields.
write_proxy_conf() {   # $1 port, $2 upstream port -> prints the prefix directory
    local dir="$tmp/nginx-proxy-$1"
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<NGX
worker_processes 1;
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 600s;
    upstream hello {
        server 127.0.0.1:$2;
        keepalive 32;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$1 backlog=4096;
        location /api/ {
            proxy_pass http://hello/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$host;
        }
    }
}
NGX
    echo "$dir"
}

declare -A pid_of=() port_of=()
proxy_cmd() {   # $1 name, $2 port, $3 upstream port -> sets cmd
    case "$1" in
        gateway) cmd=("$gateway" --config "$root/config/gateway.ini" "--server.port=$2" --server.backlog=4096
                      --log.access_log=false --log.level=warn --http.keep_alive_timeout_ms=600000
                      "--gateway.upstream=http://127.0.0.1:$3" --gateway.strip_prefix=true) ;;
        nginx) local dir; dir=$(write_proxy_conf "$2" "$3")
               cmd=("$nginx_bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf") ;;
    esac
}
start_proxy() {   # $1 name, $2 port, $3 upstream port
    local log="$out/logs/$1.log"
    proxy_cmd "$1" "$2" "$3"
    echo "\$ taskset -c $proxy_cpu ${cmd[*]}" >"$log"
    (cd "$tmp" && exec taskset -c "$proxy_cpu" "${cmd[@]}") >>"$log" 2>&1 </dev/null &
    pid_of[$1]=$!
    register_pid "$!"
    port_of[$1]=$2
    wait_http "http://127.0.0.1:$2/api/" "$!" "$log" || die "$1 did not start"
}

read -r up_port gw_port ngx_port <<<"$(free_ports 3)"
say "starting the upstream (apps/hello, CPU 1) and the proxies (CPU $proxy_cpu)"
(cd "$tmp" && exec taskset -c 1 "$hello" --config "$root/config/hello.ini" "--server.port=$up_port" \
    --log.access_log=false --http.keep_alive_timeout_ms=600000) >"$out/logs/hello.log" 2>&1 </dev/null &
up_pid=$!
register_pid "$up_pid"
wait_http "http://127.0.0.1:$up_port/" "$up_pid" "$out/logs/hello.log" || die "hello did not start"
start_proxy gateway "$gw_port" "$up_port"
start_proxy nginx "$ngx_port" "$up_port"
for p in gateway nginx; do
    got=$(curl -sf "http://127.0.0.1:${port_of[$p]}/api/")
    [[ "$got" == "Hello World" ]] || die "$p: GET /api/ answered '$got'"
done

printf 'proxy\trep\trequests\tduration_us\tp50_us\tp99_us\terrors\tproxy_ticks\tupstream_sockets\n' >"$out/runs.tsv"
run_one() {   # $1 proxy, $2 rep (0 = warm-up)
    local d="$duration" pid="${pid_of[$1]}" log="$out/logs/wrk-$1-$2.txt" t0 t1 line
    [[ $2 == 0 ]] && d=$warmup
    t0=$(cpu_ticks "$pid")
    timeout $(( d + 30 )) taskset -c 1 wrk -t1 -c50 -d"${d}s" -s "$bench/report.lua" \
        "http://127.0.0.1:${port_of[$1]}/api/" >"$log" 2>&1 || true
    t1=$(cpu_ticks "$pid")
    kill -0 "$pid" 2>/dev/null || die "$1 died (see $out/logs/$1.log)"
    [[ $2 == 0 ]] && return 0
    line=$(grep '^NODUS_WRK ' "$log" || true)
    [[ -n "$line" ]] || { echo "   $1 #$2: wrk gave no result (see $log)"; return 0; }
    local f=() k errs socks
    for k in requests duration_us p50_us p99_us; do f+=("$(sed "s/.* $k=\([0-9]*\).*/\1/" <<<"$line")"); done
    errs=$(grep -o 'err_[a-z]*=[0-9]*' <<<"$line" | awk -F= '{ s += $2 } END { print s + 0 }')
    socks=$(socket_count "$up_pid")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${f[@]}" "$errs" "$(( t1 - t0 ))" "$socks" >>"$out/runs.tsv"
    awk -v s="$1" -v r="$2" -v q="${f[0]}" -v d="${f[1]}" -v p="${f[3]}" -v t="$(( t1 - t0 ))" -v hz="$clk_tck" -v e="$errs" \
        'BEGIN { printf "   %-8s #%d %8.0f req/s  p99 %6d us  %6.2f us CPU/req  %d errors\n", s, r, q / (d / 1e6), p, (q ? t * 1e6 / hz / q : 0), e }'
}

say "warm-up"
for p in gateway nginx; do run_one "$p" 0; done
say "runs: $reps x 2 proxies x ${duration}s"
for (( rep = 1; rep <= reps; rep++ )); do
    for p in gateway nginx; do run_one "$p" "$rep"; done
done

say "results"
python3 - "$out" "$clk_tck" "$reps" "$duration" "$proxy_cpu" <<'PY' | tee "$out/results.md"
import csv, statistics, sys
out, hz, reps, dur, on_cpu = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
rows = list(csv.DictReader(open(f"{out}/runs.tsv"), delimiter="\t"))
def med(p, f):
    v = [f(r) for r in rows if r["proxy"] == p]
    return statistics.median(v) if v else None
cpu = lambda r: int(r["proxy_ticks"]) * 1e6 / hz / int(r["requests"])
rps = lambda r: int(r["requests"]) / (int(r["duration_us"]) / 1e6)
p99 = lambda r: int(r["p99_us"])
print(f"GET /api/ through the proxy to apps/hello; wrk -t1 -c50 -d{dur}s; medians of {reps} interleaved runs; proxy on CPU {on_cpu}.\n")
print("| proxy | req/s | p99 µs | proxy CPU µs/req | ÷ nginx | errors |")
print("|---|--:|--:|--:|--:|--:|")
ng = med("nginx", cpu)
for p in ("gateway", "nginx"):
    c = med(p, cpu)
    if c is None: continue
    errs = sum(int(r["errors"]) for r in rows if r["proxy"] == p)
    print(f"| {p} | {med(p, rps):,.0f} | {med(p, p99):,.0f} | {c:.2f} | {c / ng:.2f} | {errs} |")
PY

if [[ $callgrind == 1 ]] && command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
    say "user-space instructions per proxied request under callgrind (wrk -t1 -c10 -d3s after a 1 s warm-up)"
    { echo; echo "| proxy (callgrind) | requests | instructions / request |"; echo "|---|--:|--:|"; } >>"$out/results.md"
    for p in gateway nginx; do
        port=$(free_ports 1)
        cg="$out/logs/callgrind-$p"
        proxy_cmd "$p" "$port" "$up_port"
        (cd "$tmp" && exec taskset -c "$proxy_cpu" valgrind --tool=callgrind --callgrind-out-file="$cg.out" "${cmd[@]}") \
            >"$cg.log" 2>&1 </dev/null &
        vpid=$!
        register_pid "$vpid"
        wait_http "http://127.0.0.1:$port/api/" "$vpid" "$cg.log" || die "$p under valgrind did not start"
        taskset -c 1 wrk -t1 -c10 -d1s "http://127.0.0.1:$port/api/" >/dev/null 2>&1 || true
        callgrind_control -z "$vpid" >/dev/null 2>&1
        line=$(taskset -c 1 wrk -t1 -c10 -d3s -s "$bench/report.lua" "http://127.0.0.1:$port/api/" 2>&1 | grep '^NODUS_WRK ' || true)
        callgrind_control -d "$vpid" >/dev/null 2>&1
        stop_pids "$vpid"
        requests=$(sed 's/.* requests=\([0-9]*\).*/\1/' <<<"$line")
        dump=$(ls -t "$cg.out".* 2>/dev/null | head -n1)
        instr=$([[ -n "$dump" ]] && awk '/^(summary|totals):/ { print $2; exit }' "$dump")
        [[ -n "$requests" && -n "$instr" ]] || { echo "   $p: no result (see $cg.log)"; continue; }
        awk -v p="$p" -v q="$requests" -v i="$instr" 'BEGIN {
            printf "   %-8s %8d requests  %7.0f instructions/request\n", p, q, i / q
            printf "| %s | %d | %.0f |\n", p, q, i / q >> "'"$out/results.md"'" }'
    done
fi

say "streaming $stream_bytes bytes through the gateway (upstream: apps/echo)"
read -r echo_port sgw_port <<<"$(free_ports 2)"
(cd "$tmp" && exec taskset -c 1 "$echo_bin" --config "$root/config/echo.ini" "--server.port=$echo_port" \
    --log.access_log=false --http.max_body_bytes=0) >"$out/logs/echo.log" 2>&1 </dev/null &
echo_pid=$!
register_pid "$echo_pid"
wait_http "http://127.0.0.1:$echo_port/" "$echo_pid" "$out/logs/echo.log" || die "echo did not start"
(cd "$tmp" && exec taskset -c "$proxy_cpu" "$gateway" --config "$root/config/gateway.ini" "--server.port=$sgw_port" \
    --log.access_log=false "--gateway.upstream=http://127.0.0.1:$echo_port" --gateway.strip_prefix=true) \
    >"$out/logs/gateway-stream.log" 2>&1 </dev/null &
sgw_pid=$!
register_pid "$sgw_pid"
wait_http "http://127.0.0.1:$sgw_port/api/" "$sgw_pid" "$out/logs/gateway-stream.log" || die "gateway did not start"
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
start_rss=$(rss "$sgw_pid")
{ echo; echo "| streamed through the gateway | bytes | seconds | MB/s | gateway peak RSS |"; echo "|---|--:|--:|--:|--:|"; } >>"$out/results.md"
stream_case() {   # $1 label, then the curl arguments
    local label="$1" t0 t1 got
    shift
    t0=$(date +%s.%N)
    got=$(taskset -c 1 curl -sS --max-time 600 -o /dev/null -w '%{size_download}' "$@") || echo "   $label: curl failed"
    t1=$(date +%s.%N)
    kill -0 "$sgw_pid" 2>/dev/null || die "the gateway died streaming (see $out/logs/gateway-stream.log)"
    awk -v l="$label" -v b="$got" -v t0="$t0" -v t1="$t1" -v h="$(hwm "$sgw_pid")" -v s="$start_rss" 'BEGIN {
        printf "   %-40s %11d bytes in %6.2f s (%6.0f MB/s); gateway VmHWM %.1f MiB (%.1f MiB at start)\n", l, b, t1 - t0, b / (t1 - t0) / 1e6, h / 1024, s / 1024
        printf "| %s | %d | %.2f | %.0f | %.1f MiB |\n", l, b, t1 - t0, b / (t1 - t0) / 1e6, h / 1024 >> "'"$out/results.md"'" }'
    [[ "$got" == "$stream_bytes" ]] || echo "   $label: expected $stream_bytes bytes"
}
stream_case "download (GET /stream)" "http://127.0.0.1:$sgw_port/api/stream?bytes=$stream_bytes"
stream_case "upload, echoed back (POST /echo, chunked)" -X POST -T - "http://127.0.0.1:$sgw_port/api/echo" \
    < <(head -c "$stream_bytes" /dev/zero)
echo
echo "raw data and logs: $out"
exit 0
}
