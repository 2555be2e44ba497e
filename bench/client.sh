#!/usr/bin/env bash
# The HTTP client's CPU per request beside Node's http.request (keep-alive Agent) and undici
# (a Pool), all against the same hello server (bench/floor's epoll server: a fixed answer, one
# recv and one send per request, so nearly all the server side is the kernel's), with a raw C
# client (one write and one read per request, bench/client_raw.c) as the kernel's share of a
# client request. Then, under callgrind, the nodus client's user-space instructions per request.
#
#   bash bench/client.sh [--requests N] [--concurrency C] [--reps R] [--same-cpu] [--no-build]
#                        [--no-callgrind]
#
# Each client makes N GETs (default 100000) over C keep-alive connections (default 1), on CPU 1,
# the server on CPU 0 (with --same-cpu both on CPU 1: no cross-CPU wake-up per request, so the
# kernel's share shrinks to the system calls themselves); CPU per request = (user + sys) of the client process / N, from getrusage
# (process.cpuUsage() for Node), median of R interleaved runs (default 3). Needs node and npm
# (installs bench/node's packages), taskset, and valgrind for the instruction count.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
# shellcheck source=bench/common.sh
source "$bench/common.sh"

requests=100000
concurrency=1
reps=3
build=1
callgrind=1
server_cpu=0
build_dir="$root/build-bench"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --requests) requests="$2"; shift ;;
        --concurrency) concurrency="$2"; shift ;;
        --reps) reps="$2"; shift ;;
        --no-build) build=0 ;;
        --build-dir) build_dir="$2"; shift ;;
        --no-callgrind) callgrind=0 ;;
        --same-cpu) server_cpu=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for tool in node npm taskset python3; do command -v "$tool" >/dev/null || die "'$tool' not found"; done

if [[ $build == 1 ]]; then
    say "building client_loop, client_raw and floor_hello_epoll (Release) in $build_dir"
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNODUS_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build_dir" -j2 --target client_loop client_raw floor_hello_epoll
fi
for b in client_loop client_raw floor_hello_epoll; do [[ -x "$build_dir/bench/$b" ]] || die "no $build_dir/bench/$b"; done
if [[ ! -d "$bench/node/node_modules/undici" ]]; then
    say "installing bench/node's packages (npm ci)"
    (cd "$bench/node" && npm ci --no-audit --no-fund >/dev/null)
fi

port=$(free_ports 1)
taskset -c "$server_cpu" "$build_dir/bench/floor_hello_epoll" "$port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

declare -A cmd=(
    [nodus]="$build_dir/bench/client_loop $port $requests $concurrency"
    [node_http]="node $bench/node/client_http.js $port $requests $concurrency"
    [undici]="node $bench/node/client_undici.js $port $requests $concurrency"
    [raw_c]="$build_dir/bench/client_raw $port $requests"
)
clients=(nodus node_http undici)
[[ $concurrency == 1 ]] && clients+=(raw_c)   # the raw client keeps one connection
declare -A us
say "$requests requests over $concurrency connection(s), $reps runs each, client on CPU 1"
for r in $(seq "$reps"); do
    for c in "${clients[@]}"; do
        line=$(taskset -c 1 ${cmd[$c]})
        u=$(sed -E 's/.*user=([0-9.]+).*/\1/' <<<"$line")
        s=$(sed -E 's/.*sys=([0-9.]+).*/\1/' <<<"$line")
        per=$(python3 -c "print(round(($u + $s) * 1e6 / $requests, 2))")
        sys_per=$(python3 -c "print(round($s * 1e6 / $requests, 2))")
        us[$c]="${us[$c]:-} $per/$sys_per"
        echo "run $r $c: $line -> ${per} us/request (${sys_per} sys)"
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
say "CPU per request (median of $reps): total us (sys us), and relative to Node's http.request"
node_total=$(for x in ${us[node_http]}; do echo "${x%/*}"; done | median)
node_sys=$(for x in ${us[node_http]}; do echo "${x#*/}"; done | median)
printf '| client | CPU/request (us) | of which sys (us) | user (us) | total vs Node | user vs Node |\n'
printf '|---|---|---|---|---|---|\n'
for c in "${clients[@]}"; do
    total=$(for x in ${us[$c]}; do echo "${x%/*}"; done | median)
    sys=$(for x in ${us[$c]}; do echo "${x#*/}"; done | median)
    python3 -c "t, s, nt, ns = $total, $sys, $node_total, $node_sys
print(f'| $c | {t} | {s} | {round(t - s, 2)} | {round(t / nt, 3)}x | {round((t - s) / (nt - ns), 3)}x |')"
done

if [[ $callgrind == 1 ]] && command -v valgrind >/dev/null; then
    say "nodus client: user-space instructions per request (callgrind, 2,000 vs 12,000 requests)"
    out=$(mktemp -d)
    ir() {
        valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1" "$build_dir/bench/client_loop" "$port" "$1" \
            "$concurrency" >/dev/null 2>"$out/log.$1"
        awk '/^summary:/ { print $2 }' "$out/cg.$1"
    }
    a=$(ir 2000)
    b=$(ir 12000)
    echo "instructions per request: $(( (b - a) / 10000 ))"
    rm -rf "$out"
fi
