#!/usr/bin/env bash
# HTTPS beside nginx (one worker, the same ECDSA P-256 certificate, TLS 1.2 and 1.3, the same
# OpenSSL and its default cipher, `ssl_session_tickets on`):
#   1. keep-alive hello world: CPU per request (wrk -t1 -c10 over TLS, server on CPU 0, wrk on
#      CPU 1; Δ(utime + stime) / requests), medians of --reps interleaved runs;
#   2. full handshakes per CPU-second of the server (openssl s_time -new: a new connection and
#      a full handshake each time, no resumption);
#   3. RSS per idle TLS keep-alive connection with --idle connections open (bench/idle_tls_conns.py),
#      also for Node's https (bench/node/https_hello.js);
#   4. with --callgrind: user-space instructions per keep-alive request under callgrind, for
#      nodus and nginx (noise-free; the figure to compare while the machine is busy).
#
#   bash bench/https.sh [--reps N] [--duration S] [--idle N] [--callgrind] [--out DIR] [--no-build]
#
# Needs `bash scripts/setup.sh --bench` (wrk built with OpenSSL, nginx, node, valgrind).
set -euo pipefail
{
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
invocation="bash bench/https.sh $*"
# shellcheck source=bench/common.sh
source "$bench/common.sh"

reps=3
duration=5
idle=10000
callgrind=0
out=""
build=1
build_dir="$root/build-bench"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --reps) reps="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --idle) idle="$2"; shift ;;
        --callgrind) callgrind=1 ;;
        --out) out="$2"; shift ;;
        --no-build) build=0 ;;
        --build-dir) build_dir="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for tool in wrk openssl curl; do command -v "$tool" >/dev/null || die "$tool is missing (bash scripts/setup.sh --bench)"; done
[[ -x "$nginx_bin" ]] || die "nginx is missing (bash scripts/setup.sh --bench)"
bench_prepare https
bench_build hello apps/hello/hello
hello="$build_dir/apps/hello/hello"

cert="$tmp/cert.pem"
key="$tmp/key.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$key" -out "$cert" -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

write_nginx_tls_conf() {   # $1 port -> prints the prefix directory
    local dir="$tmp/nginx-$1"
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<NGX
worker_processes 1;
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 19000; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 600s;
    server {
        listen 127.0.0.1:$1 ssl backlog=4096;
        ssl_certificate $cert;
        ssl_certificate_key $key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets on;
        location / {
            default_type text/plain;
            return 200 "Hello World\n";
        }
    }
}
NGX
    echo "$dir"
}

# cmd=(...) for server $1 on port $2
server_cmd() {
    case "$1" in
        nodus) cmd=("$hello" --config "$root/config/hello.ini" --log.level=warn --log.access_log=false
                    --server.port=0 --tls.port="$2" --tls.cert="$cert" --tls.key="$key"
                    --cluster.workers=0 --http.keep_alive_timeout_ms=600000) ;;
        nginx) local dir; dir=$(write_nginx_tls_conf "$2")
               cmd=("$nginx_bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf") ;;
        node) cmd=(node "$bench/node/https_hello.js" "$2" "$cert" "$key" 600000) ;;
    esac
}

start_server() {   # $1 server, $2 port, [$3 wrapper...] -> sets spid
    local name="$1" port="$2"
    shift 2
    server_cmd "$name" "$port"
    "$@" "${cmd[@]}" >"$out/logs/$name-$port.log" 2>&1 </dev/null &
    spid=$!
    register_pid "$spid"
    local deadline=$(( SECONDS + 30 ))
    until curl -skf --max-time 1 -o /dev/null "https://127.0.0.1:$port/"; do
        (( SECONDS < deadline )) && kill -0 "$spid" 2>/dev/null || die "$name did not answer on $port (see $out/logs)"
        sleep 0.1
    done
}

{ machine_notes "$invocation"; echo "openssl: $(openssl version)"; } | tee "$out/machine.txt"

say "cipher negotiated"
for s in nodus nginx; do
    port=$(free_ports 1)
    start_server "$s" "$port" taskset -c 0
    echo "$s: $(echo | openssl s_client -connect "127.0.0.1:$port" 2>/dev/null | sed -n 's/^New, //p')"
    stop_pids "$spid"
done

say "keep-alive: CPU per request (wrk -t1 -c10 -d${duration}s over TLS)"
printf 'server\trep\trequests\tcpu_ticks\n' >"$out/keepalive.tsv"
for rep in $(seq "$reps"); do
    for s in nodus nginx; do
        port=$(free_ports 1)
        start_server "$s" "$port" taskset -c 0
        taskset -c 1 wrk -t1 -c10 -d1s "https://127.0.0.1:$port/" >/dev/null 2>&1 || true
        t0=$(cpu_ticks "$spid")
        requests=$(taskset -c 1 wrk -t1 -c10 -d"${duration}s" -s "$bench/report.lua" "https://127.0.0.1:$port/" 2>&1 |
            sed -n 's/^NODUS_WRK .*requests=\([0-9]*\).*/\1/p')
        t1=$(cpu_ticks "$spid")
        stop_pids "$spid"
        printf '%s\t%s\t%s\t%s\n' "$s" "$rep" "$requests" "$((t1 - t0))" >>"$out/keepalive.tsv"
        awk -v s="$s" -v q="$requests" -v t="$((t1 - t0))" -v hz="$clk_tck" \
            'BEGIN { printf "%-6s %9d requests  %6.2f µs CPU/request\n", s, q, t / hz * 1e6 / q }'
    done
done

say "full handshakes per CPU-second of the server (openssl s_time -new, ${duration}s)"
printf 'server\trep\thandshakes\tcpu_ticks\n' >"$out/handshakes.tsv"
for rep in $(seq "$reps"); do
    for s in nodus nginx; do
        port=$(free_ports 1)
        start_server "$s" "$port" taskset -c 0
        t0=$(cpu_ticks "$spid")
        n=$(taskset -c 1 openssl s_time -connect "127.0.0.1:$port" -new -time "$duration" 2>/dev/null |
            sed -n 's/^\([0-9]*\) connections in [0-9.]* real.*/\1/p' | head -n1)
        t1=$(cpu_ticks "$spid")
        stop_pids "$spid"
        printf '%s\t%s\t%s\t%s\n' "$s" "$rep" "$n" "$((t1 - t0))" >>"$out/handshakes.tsv"
        awk -v s="$s" -v n="$n" -v t="$((t1 - t0))" -v hz="$clk_tck" \
            'BEGIN { printf "%-6s %7d handshakes  %7.0f handshakes per CPU-second\n", s, n, n / (t / hz) }'
    done
done

say "memory per idle TLS keep-alive connection ($idle connections)"
for s in nodus nginx node; do
    [[ $s == node ]] && ! command -v node >/dev/null && continue
    port=$(free_ports 1)
    start_server "$s" "$port" taskset -c 0
    line=$(taskset -c 1 python3 "$bench/idle_tls_conns.py" --port "$port" --pid "$spid" --conns "$idle")
    stop_pids "$spid"
    echo "$s $line" | tee -a "$out/idle.txt"
done

# Instructions per request without callgrind_control (which needs ptrace): two runs of
# different lengths, each from start to exit, and the difference divided by the difference
# in requests, so that start-up and the ten handshakes cancel out.
callgrind_run() {   # $1 server, $2 seconds of load -> prints "requests instructions"
    local port cg requests
    port=$(free_ports 1)
    cg="$out/callgrind-$1-$2s.out"
    start_server "$1" "$port" taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$cg"
    requests=$(taskset -c 1 wrk -t1 -c10 -d"$2"s -s "$bench/report.lua" "https://127.0.0.1:$port/" 2>&1 |
        sed -n 's/^NODUS_WRK .*requests=\([0-9]*\).*/\1/p')
    stop_pids "$spid"
    echo "$requests $(awk '/^(summary|totals):/ { print $2; exit }' "$cg")"
}

# Instructions per full handshake: a run with s_time's handshakes minus a run with none (start,
# one request, stop), divided by the handshakes.
callgrind_handshakes() {   # $1 server, $2 seconds of s_time (0: none) -> prints "handshakes instructions"
    local port cg n=0
    port=$(free_ports 1)
    cg="$out/callgrind-hs-$1-$2s.out"
    start_server "$1" "$port" taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$cg"
    if [[ $2 != 0 ]]; then
        n=$(taskset -c 1 openssl s_time -connect "127.0.0.1:$port" -new -time "$2" 2>/dev/null |
            sed -n 's/^\([0-9]*\) connections in [0-9.]* real.*/\1/p' | head -n1)
    fi
    stop_pids "$spid"
    echo "$n $(awk '/^(summary|totals):/ { print $2; exit }' "$cg")"
}

if [[ $callgrind == 1 ]]; then
    command -v valgrind >/dev/null || die "valgrind is missing (bash scripts/setup.sh --bench)"
    say "callgrind: user-space instructions per keep-alive request (wrk -t1 -c10 over TLS, 2 s and 6 s runs)"
    for s in nodus nginx; do
        read -r q1 i1 <<<"$(callgrind_run "$s" 2)"
        read -r q2 i2 <<<"$(callgrind_run "$s" 6)"
        echo "$s $q1 $i1 $q2 $i2" >>"$out/callgrind.txt"
        awk -v s="$s" -v q="$((q2 - q1))" -v i="$((i2 - i1))" \
            'BEGIN { printf "%-6s %8d requests  %7.0f instructions/request\n", s, q, i / q }'
    done
    say "callgrind: user-space instructions per full handshake (openssl s_time -new, 6 s, minus a run without)"
    for s in nodus nginx; do
        read -r _ i0 <<<"$(callgrind_handshakes "$s" 0)"
        read -r n i1 <<<"$(callgrind_handshakes "$s" 6)"
        echo "$s handshakes $n $i0 $i1" >>"$out/callgrind.txt"
        awk -v s="$s" -v n="$n" -v i="$((i1 - i0))" \
            'BEGIN { printf "%-6s %8d handshakes  %9.0f instructions/handshake\n", s, n, i / n }'
    done
fi

say "medians"
python3 - "$out" <<'PY'
import csv, statistics, sys, os
out = sys.argv[1]
hz = os.sysconf("SC_CLK_TCK")
def med(file, key, per):
    rows = list(csv.DictReader(open(f"{out}/{file}"), delimiter="\t"))
    res = {}
    for s in ("nodus", "nginx"):
        vals = [per(int(r[key]), int(r["cpu_ticks"])) for r in rows if r["server"] == s and r[key] and int(r[key])]
        res[s] = statistics.median(vals) if vals else None
    return res
ka = med("keepalive.tsv", "requests", lambda q, t: t / hz * 1e6 / q)
hs = med("handshakes.tsv", "handshakes", lambda n, t: n / (t / hz) if t else 0)
print(f"keep-alive CPU per request: nodus {ka['nodus']:.2f} µs, nginx {ka['nginx']:.2f} µs, ratio {ka['nodus'] / ka['nginx']:.2f}")
print(f"full handshakes per CPU-second: nodus {hs['nodus']:.0f}, nginx {hs['nginx']:.0f}, ratio {hs['nodus'] / hs['nginx']:.2f}")
PY
echo "results: $out"
}
