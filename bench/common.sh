# Shared by the bench scripts (sourced, not run).
# Expects `root` and `bench` to be set and `set -euo pipefail` in the caller.

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
say() { printf '\n== %s\n' "$*"; }
die() { echo "bench: $*" >&2; exit 1; }

clk_tck=$(getconf CLK_TCK)
nginx_bin="$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)"

free_ports() {   # N distinct free TCP ports on 127.0.0.1
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

cpu_ticks() {    # utime + stime of one process (all its threads), in clock ticks; 0 if gone
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

sys_ticks() {     # stime of one process (all its threads), in clock ticks; 0 if gone
    awk '{ sub(/^.*\) /, ""); print $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

sched_wait_ns() {   # time a process's threads spent runnable but waiting for a CPU, in ns
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $2 } END { printf "%d\n", s }'
}

children_of() {  # direct children of a process, space-separated, in pid order
    pgrep -P "$1" 2>/dev/null | sort -n | tr '\n' ' ' | sed 's/ $//'
}

children_ticks() {   # utime + stime of this shell's waited-for children (load generators)
    awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$$/stat"
}

cpus_busy() {    # busy ticks (everything but idle and iowait) of all CPUs together
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

socket_count() { # open sockets of a process
    find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | wc -l
}

# Every process the script starts is registered here (and its children are looked up when
# it stops), so that all of them are stopped, by pid, however the script exits.
started_pids=()
register_pid() { started_pids+=("$1"); }

stop_pids() {    # TERM, wait up to 3 s, KILL: the given pids and their children
    local all=() p c
    for p in "$@"; do
        [[ -n "$p" ]] || continue
        all+=("$p")
        for c in $(children_of "$p"); do all+=("$c"); done
    done
    [[ ${#all[@]} -gt 0 ]] || return 0
    kill -TERM "${all[@]}" 2>/dev/null || true
    for _ in $(seq 30); do
        kill -0 "${all[@]}" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "${all[@]}" 2>/dev/null || true
    for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

bench_cleanup() {
    [[ ${#started_pids[@]} -gt 0 ]] && stop_pids "${started_pids[@]}"
    [[ -n "${tmp:-}" ]] && rm -rf "$tmp"
    return 0
}

wait_http() {    # $1 url, $2 pid, $3 log: until the url answers 2xx (20 s at most)
    local deadline=$(( SECONDS + 20 ))
    while (( SECONDS < deadline )); do
        kill -0 "$2" 2>/dev/null || { echo "bench: server exited at start; its log ($3):" >&2; tail -n 20 "$3" >&2; return 1; }
        curl -sf --max-time 1 -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench: $1 did not answer within 20 s; log ($3):" >&2
    tail -n 20 "$3" >&2
    return 1
}

machine_notes() {   # $1 invocation
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpus: $(nproc) x $(lscpu | sed -n 's/^Model name: *//p')"
    echo "kernel: $(uname -r)"
    echo "nodus: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (working tree modified)')"
    echo "node: $(node --version 2>/dev/null || echo '-'); nginx: $("$nginx_bin" -v 2>&1 | sed 's/.*: //' || echo '-'); wrk: $(wrk --version 2>&1 | head -n1 | awk '{ print $2 }'); curl: $(curl --version | head -n1 | awk '{ print $2 }')"
    echo "CLK_TCK: $clk_tck; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "command: $1"
}

bench_build() {  # $1 target, $2 binary (relative to $build_dir): build it unless --no-build
    local target="$1" binary="$build_dir/$2"
    if [[ $build == 1 ]]; then
        say "building $target (Release) in $build_dir"
        cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNODUS_BUILD_TESTS=OFF >/dev/null
        cmake --build "$build_dir" -j2 --target "$target"
    fi
    [[ -x "$binary" ]] || die "no $binary"
}

bench_prepare() {  # $1 name: the output folder (default under build-bench/), a temp dir, cleanup traps
    [[ -n "$out" ]] || out="$root/build-bench/bench-results/$1-$(date +%Y%m%d-%H%M%S)"
    mkdir -p "$out/logs"
    out="$(cd "$out" && pwd)"
    tmp="$(mktemp -d "/tmp/nodus-$1.XXXXXX")"
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

write_nginx_conf() {   # $1 port, $2 worker processes, $3 connections per worker, [$4 access log file] -> prints the prefix directory
    local dir="$tmp/nginx-$1" master=on access="access_log off;"
    [[ -n "${4:-}" ]] && access="access_log $4 combined buffer=64k;"
    [[ $2 == 1 ]] && master=off
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<NGX
worker_processes $2;
daemon off;
master_process $master;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections $3;
}
http {
    $access
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 600s;
    server {
        listen 127.0.0.1:$1 backlog=4096;
        location / {
            default_type text/plain;
            return 200 "Hello World\n";
        }
    }
}
NGX
    echo "$dir"
}
