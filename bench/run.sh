#!/usr/bin/env bash
# nodus side by side with Node.js, nginx and a plain Boost.Beast server: hello world over
# HTTP/1.1 and HTTP/1.0 keep-alive on 127.0.0.1, each server pinned to CPU 0 and the client
# (wrk, ab) pinned to CPU 1.
#
#   bash bench/run.sh [--quick] [--servers LIST] [--reps N] [--duration S]
#                     [--idle-conns N] [--big-conns N] [--out DIR] [--no-build]
#                     [--nodus PATH] [--beast PATH] [--nodus-args "ARGS"] [--nice N]
#                     [--access-log] [--loads LIST] [--cpu-only]
#
# Measures, per server and load (wrk -c100, -c1000, -c100 pipelined at depth 16, and HTTP/1.0
# `Connection: Keep-Alive` clients: ab -k -c50):
#   requests/s, p50/p99 latency, and server CPU per request = Δ(utime+stime) / requests;
# runs are repeated and interleaved across servers (A B C D A B C D ...), medians reported.
# Then the RSS each server needs per idle keep-alive connection (bench/idle_conns.py), the same
# when the clients connect first and stay silent 3 s (and the RSS once they all closed), and,
# for nodus, the same with 50,000 connections plus the latency of a fresh request meanwhile;
# and slow clients (bench/slow_clients.py): writers that send their heads a byte at a time,
# readers that pipeline and do not read.
# Two yardsticks run beside the servers (bench/floor/README.md): `floor`, the least work any
# epoll server can do per request (one recv, one send, no parsing), and `uring`, the same with
# io_uring; they show how much of a request's CPU time is the kernel's, whoever the server is.
# See bench/README.md.
set -euo pipefail
# The whole script is one block, so bash parses it completely before running: editing the file
# during a run cannot change the run.
{

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
# shellcheck source=bench/common.sh
source "$bench/common.sh"
invocation="bash bench/run.sh $*"

# ---------------------------------------------------------------- options
reps=3
duration=10
warmup=3
servers="nodus,node,nginx,beast,floor,uring"
idle_conns=10000
big_conns=50000
out=""
build=1
nodus_bin="$root/build/apps/hello/hello"
beast_bin="$root/build/bench/beast_hello"
nodus_args=""
pipeline_depth=16
nice_level=0
access_log=0
loads_arg="c100,c1000,pipe16,ab50"
cpu_only=0

while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) reps=1; duration=3; warmup=1 ;;
        --servers) servers="$2"; shift ;;
        --reps) reps="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --idle-conns) idle_conns="$2"; shift ;;
        --big-conns) big_conns="$2"; shift ;;
        --out) out="$2"; shift ;;
        --no-build) build=0 ;;
        --nodus) nodus_bin="$2"; build=0; shift ;;
        --beast) beast_bin="$2"; shift ;;
        --nodus-args) nodus_args="$2"; shift ;;
        --nice) nice_level="$2"; shift ;;
        --access-log) access_log=1 ;;  # nodus and nginx write an access log to a file (nginx: buffer=64k)
        --loads) loads_arg="$2"; shift ;;   # a subset of c100,c1000,pipe16,ab50
        --cpu-only) cpu_only=1 ;;           # throughput and CPU only: no memory or slow-client phases
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
[[ "$nice_level" =~ ^-?[0-9]+$ ]] || { echo "bench: --nice wants a number" >&2; exit 2; }
for n in "$reps" "$duration" "$idle_conns" "$big_conns"; do
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "bench: not a number: $n" >&2; exit 2; }
done
IFS=, read -r -a loads <<<"$loads_arg"
for l in "${loads[@]}"; do
    case "$l" in c100|c1000|pipe16|ab50) ;; *) echo "bench: unknown load '$l'" >&2; exit 2 ;; esac
done
IFS=, read -r -a server_list <<<"$servers"
for s in "${server_list[@]}"; do
    case "$s" in nodus|node|nginx|beast|floor|uring) ;; *) echo "bench: unknown server '$s'" >&2; exit 2 ;; esac
done
has_server() { [[ ",$servers," == *",$1,"* ]]; }

# ---------------------------------------------------------------- prerequisites
for tool in wrk ab python3 taskset curl getconf awk; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found: run 'bash scripts/setup.sh --bench'"
done
has_server node && { command -v node >/dev/null 2>&1 || die "'node' not found: run 'bash scripts/setup.sh --bench'"; }
has_server nginx && { command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] ||
    die "'nginx' not found: run 'bash scripts/setup.sh --bench'"; }
[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs (server on CPU 0, wrk on CPU 1); this machine has $(nproc)"

floor_bin="$(dirname "$beast_bin")/floor_hello_epoll"
uring_bin="$(dirname "$beast_bin")/floor_hello_uring"
if [[ $build == 1 ]] && { has_server nodus || has_server beast || has_server floor || has_server uring; }; then
    targets=()
    has_server nodus && targets+=(hello)
    if [[ "$beast_bin" == "$root/build/bench/beast_hello" ]]; then
        has_server beast && targets+=(beast_hello)
        has_server floor && targets+=(floor_hello_epoll)
        # floor_hello_uring exists only where liburing is installed (scripts/setup.sh --bench).
        has_server uring && [[ -f /usr/include/liburing.h ]] && targets+=(floor_hello_uring)
    fi
    if [[ ${#targets[@]} -gt 0 ]]; then
        say "building ${targets[*]} (Release) in build/"
        bash "$root/scripts/build.sh" --release -- --target "${targets[@]}" ||
            die "build failed (measure the others with --servers node,nginx)"
    fi
fi
if has_server nodus; then
    [[ -x "$nodus_bin" ]] || die "no nodus hello at $nodus_bin"
    if [[ -f "$root/build/CMakeCache.txt" && "$nodus_bin" == "$root/build/"* ]]; then
        type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$root/build/CMakeCache.txt")
        [[ "$type" == Release ]] || echo "bench: warning: build/ is a $type build, not Release" >&2
    fi
fi
has_server beast && { [[ -x "$beast_bin" ]] || die "no beast_hello at $beast_bin"; }
has_server floor && { [[ -x "$floor_bin" ]] || die "no floor_hello_epoll at $floor_bin"; }
if has_server uring && [[ ! -x "$uring_bin" ]]; then
    echo "bench: no $uring_bin (liburing-dev missing?): the io_uring yardstick is left out" >&2
    servers="${servers/,uring/}"; servers="${servers/uring,/}"
    IFS=, read -r -a server_list <<<"$servers"
fi

# Many connections need many descriptors (servers and clients inherit this limit).
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)
[[ "$fd_limit" == unlimited ]] && fd_limit=1048576
if (( idle_conns + 200 > fd_limit )); then
    echo "bench: open-file limit is $fd_limit; idle test lowered to $(( fd_limit - 200 )) connections" >&2
    idle_conns=$(( fd_limit - 200 ))
fi
big_note=""
if (( big_conns + 200 > fd_limit )); then
    big_note="asked for $big_conns; the open-file hard limit ($fd_limit) allows $(( fd_limit - 200 ))"
    echo "bench: $big_note" >&2
    big_conns=$(( fd_limit - 200 ))
fi

# ---------------------------------------------------------------- output, cleanup
stamp=$(date +%Y%m%d-%H%M%S)
[[ -n "$out" ]] || out="$root/build/bench-results/$stamp"
mkdir -p "$out/logs"
out="$(cd "$out" && pwd)"
tmp="$(mktemp -d /tmp/nodus-bench.XXXXXX)"

declare -A pid_of=() port_of=()
cleanup() {
    local pids=() p
    for p in "${pid_of[@]}"; do [[ -n "$p" ]] && pids+=("$p"); done
    if [[ ${#pids[@]} -gt 0 ]]; then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        for _ in $(seq 30); do
            kill -0 "${pids[@]}" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "${pids[@]}" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cpu_busy() {     # busy ticks (everything but idle and iowait) of CPUs 0 and 1: "BUSY0 BUSY1"
    awk '$1 == "cpu0" || $1 == "cpu1" { b[$1] = $2 + $3 + $4 + $7 + $8 + $9 }
         END { print b["cpu0"] + 0, b["cpu1"] + 0 }' /proc/stat
}

start_server() {   # $1 name, $2 port; every server on CPU 0, idle timeouts of 10 minutes
    local name="$1" port="$2" log="$out/logs/$1-$2.log" cmd=()
    case "$name" in
        nodus)
            cmd=("$nodus_bin")
            [[ -f "$root/config/hello.ini" ]] && cmd+=(--config "$root/config/hello.ini")
            if [[ $access_log == 1 ]]; then
                cmd+=(--log.access_log=true "--log.access_destination=$tmp/nodus-access-$port.log")
            else
                cmd+=(--log.access_log=false)
            fi
            cmd+=("--server.port=$port" --server.host=127.0.0.1
                  --server.backlog=4096 --http.keep_alive_timeout_ms=600000 --cluster.workers=0)
            # shellcheck disable=SC2206
            [[ -n "$nodus_args" ]] && cmd+=($nodus_args)
            ;;
        node)  cmd=(node "$bench/node/hello.js" "$port" 600000 4096) ;;
        nginx) local dir; dir=$(write_nginx_conf "$port" 1 $(( fd_limit - 100 )) \
                   "$([[ $access_log == 1 ]] && echo "$tmp/nginx-access-$port.log")")
               cmd=("$nginx_bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf") ;;
        beast) cmd=("$beast_bin" "$port") ;;
        floor) cmd=("$floor_bin" "$port") ;;
        uring) cmd=("$uring_bin" "$port") ;;
    esac
    echo "\$ taskset -c 0 ${cmd[*]}" >"$log"
    (cd "$tmp" && exec nice -n "$nice_level" taskset -c 0 "${cmd[@]}") >>"$log" 2>&1 </dev/null &
    pid_of[$name]=$!
    port_of[$name]=$port
    local deadline=$(( SECONDS + 20 )) body=""
    while (( SECONDS < deadline )); do
        if ! kill -0 "${pid_of[$name]}" 2>/dev/null; then
            pid_of[$name]=""
            echo "bench: $name exited at start; its log ($log):" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        body=$(curl -s --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null || true)
        [[ -n "$body" ]] && break
        sleep 0.1
    done
    if [[ "$body" != "Hello World" ]]; then   # $(...) drops the trailing newline
        echo "bench: $name on port $port did not answer 'Hello World' within 20 s (got '${body:0:60}')" >&2
        tail -n 20 "$log" >&2
        return 1
    fi
    echo "   $name: pid ${pid_of[$name]}, http://127.0.0.1:$port/, CPU $(taskset -pc "${pid_of[$name]}" | sed 's/.*: //')"
}

stop_server() {
    local name="$1" p="${pid_of[$1]:-}"
    [[ -n "$p" ]] || return 0
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    pid_of[$name]=""
}

alive() { local p="${pid_of[$1]:-}"; [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null; }

# ---------------------------------------------------------------- machine
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpus: $(nproc) x $(lscpu | sed -n 's/^Model name: *//p')"
    echo "kernel: $(uname -r)"
    echo "memory: $(free -m | awk '/^Mem:/ { print $2 " MiB" }')"
    echo "nodus: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (modified)')"
    echo "g++: $(g++ -dumpfullversion 2>/dev/null || echo '?'), Boost $(sed -n 's/^#define BOOST_LIB_VERSION "\(.*\)"/\1/p' /usr/include/boost/version.hpp 2>/dev/null | tr _ .)"
    echo "node: $(node --version 2>/dev/null || echo '-')"
    echo "nginx: $("$nginx_bin" -v 2>&1 | sed 's/.*: //' || echo '-')"
    echo "wrk: $(wrk --version 2>&1 | head -n1 | awk '{ print $2 }')"
    echo "ab: $(ab -V 2>&1 | sed -n 's/.*Version \([^ ]*\).*/\1/p' | head -n1)"
    echo "CLK_TCK: $clk_tck; open-file limit: $fd_limit"
    echo "command: $invocation"
    echo "settings: nice $nice_level; servers $servers; $reps x ${duration}s per load; $idle_conns idle connections; $big_conns for nodus"
} >"$out/machine.txt"
say "machine"; cat "$out/machine.txt"
read -r load1 _ </proc/loadavg
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
    echo "bench: warning: load average is $load1 before starting: other programs compete for the" >&2
    echo "       CPUs, which lowers req/s and raises CPU per request (see 'others on CPU 0')." >&2
fi

# ---------------------------------------------------------------- throughput and CPU per request
printf 'server\tload\trep\trequests\tduration_us\tp50_us\tp99_us\terrors\tcpu_ticks\tcpu0_busy\tcpu1_busy\twrk_ticks\twait_ns\tclosed\n' >"$out/runs.tsv"

# ab's result as report.lua's NODUS_WRK line. Its percentiles are whole milliseconds;
# `closed` counts the answers that did not keep the connection (ab then opens another).
ab_line() {   # $1 ab's output
    awk '/^Complete requests:/ { n = $3 } /^Failed requests:/ { f = $3 } /^Non-2xx responses:/ { x = $3 }
         /^Keep-Alive requests:/ { k = $3 } /^Time taken for tests:/ { t = $5 }
         /^ *50% / { p50 = $2 } /^ *99% / { p99 = $2 }
         END { if (n == "" || t == "") exit
               printf "NODUS_WRK requests=%d duration_us=%d p50_us=%d p99_us=%d err_failed=%d err_non2xx=%d closed=%d\n",
                   n, t * 1e6, p50 * 1000, p99 * 1000, f, x, n - k }' "$1"
}

run_wrk() {   # $1 server, $2 load, $3 rep (0 = warm-up, not recorded)
    local name="$1" load="$2" rep="$3" url="http://127.0.0.1:${port_of[$1]}/" args=() d="$duration"
    [[ $rep == 0 ]] && d="$warmup"
    case "$load" in
        c100)   args=(wrk -t1 -d"${d}s" --latency -c100 -s "$bench/report.lua" "$url") ;;
        c1000)  args=(wrk -t1 -d"${d}s" --latency -c1000 -s "$bench/report.lua" "$url") ;;
        pipe16) args=(wrk -t1 -d"${d}s" --latency -c100 -s "$bench/pipeline.lua" "$url" -- "$pipeline_depth") ;;
        # ab stops at the time limit or after -n requests (it keeps a record per request, so
        # -n stays bounded: 100,000 per second is more than one ab process sends here).
        ab50)   args=(ab -q -k -c50 -t "$d" -n $(( d * 100000 )) "$url") ;;
    esac
    local log="$out/logs/${args[0]}-$name-$load-$rep.txt" t0 t1 b0 b1 w0 w1 q0 q1 line
    b0=($(cpu_busy)); w0=$(children_ticks); q0=$(sched_wait_ns "${pid_of[$name]}")
    t0=$(cpu_ticks "${pid_of[$name]}")
    timeout $(( d + 30 )) nice -n "$nice_level" taskset -c 1 "${args[@]}" >"$log" 2>&1 || true
    t1=$(cpu_ticks "${pid_of[$name]}")
    [[ $t1 != 0 ]] || t1=$t0   # the server is gone
    b1=($(cpu_busy)); w1=$(children_ticks); q1=$(sched_wait_ns "${pid_of[$name]}")
    [[ $rep == 0 ]] && return 0
    if [[ ${args[0]} == ab ]]; then
        line=$(ab_line "$log")
    else
        line=$(grep '^NODUS_WRK ' "$log" || true)
    fi
    if [[ -z "$line" ]]; then
        echo "   $name $load #$rep: ${args[0]} gave no result (see $log)"
        return 0
    fi
    local requests duration_us p50 p99 errs closed
    requests=$(sed 's/.* requests=\([0-9]*\).*/\1/' <<<"$line")
    duration_us=$(sed 's/.* duration_us=\([0-9]*\).*/\1/' <<<"$line")
    p50=$(sed 's/.* p50_us=\([0-9]*\).*/\1/' <<<"$line")
    p99=$(sed 's/.* p99_us=\([0-9]*\).*/\1/' <<<"$line")
    errs=$(grep -o 'err_[a-z0-9]*=[0-9]*' <<<"$line" | awk -F= '{ s += $2 } END { print s + 0 }')
    closed=$(grep -o ' closed=[0-9]*' <<<"$line" | sed 's/.*=//' || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$load" "$rep" "$requests" \
        "$duration_us" "$p50" "$p99" "$errs" "$(( t1 - t0 ))" "$(( b1[0] - b0[0] ))" \
        "$(( b1[1] - b0[1] ))" "$(( w1 - w0 ))" "$(( q1 - q0 ))" "${closed:-0}" >>"$out/runs.tsv"
    awk -v n="$name" -v l="$load" -v r="$rep" -v q="$requests" -v d="$duration_us" \
        -v t="$(( t1 - t0 ))" -v hz="$clk_tck" -v p50="$p50" -v p99="$p99" -v e="$errs" \
        -v o="$(( b1[0] - b0[0] - (t1 - t0) ))" -v wq="$(( q1 - q0 ))" -v pipe="$([[ $load == pipe* ]] && echo 1 || echo 0)" \
        -v c="${closed:-0}" 'BEGIN {
        s = d / 1e6
        lat = pipe ? "latency: n/a (pipelined)" : sprintf("p50 %7.2f ms  p99 %7.2f ms", p50 / 1000, p99 / 1000)
        printf "   %-6s %-6s #%d %8.0f req/s %6.2f us CPU/req  server CPU %3.0f%%, waited %3.0f%%  others on CPU 0 %3.0f%%  %s%s\n",
            n, l, r, q / s, q ? t * 1e6 / hz / q : 0, t / hz / s * 100, wq / 1e9 / s * 100,
            (o > 0 ? o : 0) / hz / s * 100, lat, (e ? "  errors " e : "") (c ? "  closed " c : "") }'
}

say "starting servers (CPU 0)"
ports=($(free_ports "${#server_list[@]}"))
i=0
for s in "${server_list[@]}"; do
    start_server "$s" "${ports[$i]}" || die "$s did not start"
    i=$(( i + 1 ))
done

say "warm-up: wrk -t1 -c100 -d${warmup}s per server"
for s in "${server_list[@]}"; do run_wrk "$s" c100 0; done

total=$(( reps * ${#loads[@]} * ${#server_list[@]} ))
say "throughput: $total runs of ${duration}s, wrk -t1 or ab on CPU 1 (about $(( total * (duration + 2) / 60 + 1 )) min)"
n=${#server_list[@]}
for (( rep = 1; rep <= reps; rep++ )); do
    for load in "${loads[@]}"; do
        for (( k = 0; k < n; k++ )); do   # rotate who goes first on each repetition
            s="${server_list[$(( (k + rep - 1) % n ))]}"
            if ! alive "$s"; then
                echo "   $s is not running (see $out/logs/); skipped"
                continue
            fi
            run_wrk "$s" "$load" "$rep"
            sleep 1
        done
    done
done
for s in "${server_list[@]}"; do
    alive "$s" || echo "bench: warning: $s died during the runs (see $out/logs/)" >&2
    stop_server "$s"
done

# ---------------------------------------------------------------- memory per idle connection
printf 'server\tconns\tresult\n' >"$out/idle.tsv"
idle_run() {   # $1 server, $2 connections, [$3 seconds of silence before the requests]
    local name="$1" conns="$2" silent="${3:-}" port line
    port=$(free_ports 1)
    start_server "$name" "$port" || { echo "   $name did not start; skipped"; return 0; }
    line=$(timeout 600 python3 "$bench/idle_conns.py" --port "$port" --pid "${pid_of[$name]}" \
        --conns "$conns" --settle 2 --fresh 5 ${silent:+--silent "$silent"} 2>>"$out/logs/idle-$name-$conns.txt" | tee -a "$out/logs/idle-$name-$conns.txt" | grep '^IDLE ' || true)
    alive "$name" || echo "   $name died during the idle test (see $out/logs/)"
    stop_server "$name"
    if [[ -z "$line" ]]; then
        echo "   $name: idle test gave no result (see $out/logs/idle-$name-$conns.txt)"
        return 0
    fi
    printf '%s\t%s\t%s\n' "$name" "$conns" "${line#IDLE }" >>"$out/idle.tsv"
    echo "   $name: ${line#IDLE }"
}

if [[ $cpu_only == 0 ]]; then
say "RSS per idle keep-alive connection: $idle_conns connections per server (fresh servers)"
for s in "${server_list[@]}"; do
    case "$s" in floor|uring) ;; *) idle_run "$s" "$idle_conns" ;; esac   # the yardsticks keep no state
done

say "silent burst: $idle_conns clients connect, stay silent 3 s, then each sends one request and stays open; all close, RSS 5 s later"
for s in "${server_list[@]}"; do
    case "$s" in floor|uring) ;; *) idle_run "$s" "$idle_conns" 3 ;; esac
done

# ---------------------------------------------------------------- slow clients
printf 'server\tresult\n' >"$out/slow.tsv"
slow_run() {   # $1 server, then bench/slow_clients.py's arguments
    local name="$1" port line
    shift
    port=$(free_ports 1)
    start_server "$name" "$port" || { echo "   $name did not start; skipped"; return 0; }
    line=$(timeout 300 python3 "$bench/slow_clients.py" --port "$port" --pid "${pid_of[$name]}" "$@" \
        2>>"$out/logs/slow-$name.txt" | tee -a "$out/logs/slow-$name.txt" | grep '^SLOW ' || true)
    alive "$name" || echo "   $name died during the slow-client test (see $out/logs/)"
    stop_server "$name"
    [[ -n "$line" ]] || { echo "   $name: slow-client test gave no result (see $out/logs/slow-$name.txt)"; return 0; }
    printf '%s\t%s\n' "$name" "${line#SLOW }" >>"$out/slow.tsv"
    echo "   $name: ${line#SLOW }"
}

say "slow writers: 1,000 clients send their heads one byte per 50 ms, then read the answer (fresh servers)"
for s in "${server_list[@]}"; do
    case "$s" in floor|uring) ;; *) slow_run "$s" --mode writers --conns 1000 --interval 0.05 ;; esac
done

say "slow readers: 100 clients each pipeline 2,000 requests and read nothing for 3 s, then read all (fresh servers)"
for s in "${server_list[@]}"; do
    case "$s" in floor|uring) ;; *) slow_run "$s" --mode readers --conns 100 --depth 2000 --stall 3 ;; esac
done

if has_server nodus && (( big_conns > 0 )); then
    say "nodus with $big_conns idle connections, and a fresh request meanwhile${big_note:+ ($big_note)}"
    idle_run nodus "$big_conns"
fi
fi   # cpu_only

# ---------------------------------------------------------------- report
say "results"
python3 "$bench/summarize.py" --dir "$out" --clk-tck "$clk_tck" --reps "$reps" \
    --duration "$duration" --depth "$pipeline_depth" ${big_note:+--big-note "$big_note"} \
    | tee "$out/results.md"
echo
echo "raw data and logs: $out"
exit 0
}
