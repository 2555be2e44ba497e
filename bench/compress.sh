#!/usr/bin/env bash
# CPU per MiB of the compression middleware next to `gzip -6` on the same bytes:
#
#   bash bench/compress.sh [--mib N] [--reps N] [--level N] [--build-dir DIR] [--no-build]
#
# The data: the repository's own sources and docs, concatenated and repeated up to N MiB
# (64 by default): text, as JSON APIs and pages are. gzip: `gzip -LEVEL -c FILE >/dev/null`,
# its user + system time. nodus: bench/compress_app.cpp serves FILE as 64 KiB writes through
# nodus::compression(); curl downloads it with and without `Accept-Encoding: gzip`, and the
# server's own CPU time (getrusage, read over HTTP before and after) for the compressed
# download minus the identity one is the compression's cost. Best of --reps for each side.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mib=64
reps=3
level=6
build_dir="$root/build"
build=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --mib) mib="$2"; shift ;;
        --reps) reps="$2"; shift ;;
        --level) level="$2"; shift ;;
        --build-dir) build_dir="$2"; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--mib N] [--reps N] [--level N] [--build-dir DIR] [--no-build]" >&2; exit 2 ;;
    esac
    shift
done
[[ $build == 1 ]] && cmake --build "$build_dir" -j2 --target compress_bench >/dev/null
bin="$build_dir/bench/compress_bench"

work="$(mktemp -d)"
server=""
cleanup() { [[ -n $server ]] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

data="$work/data.txt"
(cd "$root" && git ls-files '*.cpp' '*.hpp' '*.md' | xargs cat) > "$work/seed.txt"
: > "$data"
while [[ $(stat -c %s "$data") -lt $((mib * 1048576)) ]]; do cat "$work/seed.txt" >> "$data"; done
truncate -s $((mib * 1048576)) "$data"

cpu_of() { # user+system seconds of a command, from bash's `times`-style TIMEFORMAT
    local TIMEFORMAT='%U %S'
    { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%.6f\n", $1 + $2 }'
}
best() { sort -g | head -1; }

gzip_s=$(for _ in $(seq "$reps"); do cpu_of gzip "-$level" -c "$data"; done | best)

"$bin" "$data" "$level" > "$work/port" 2> "$work/server.log" &
server=$!
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.05; done
port=$(cat "$work/port")
url="http://127.0.0.1:$port"
cpu() { curl -s "$url/cpu"; }
run() { # microseconds of server CPU for one download; $1: the Accept-Encoding value
    local a b
    a=$(cpu)
    curl -s -H "Accept-Encoding: $1" -o "$work/out" "$url/data"
    b=$(cpu)
    echo $((b - a))
}
run gzip >/dev/null # warm up: page in the data, grow the buffers
gz_us=$(for _ in $(seq "$reps"); do run gzip; done | best)
id_us=$(for _ in $(seq "$reps"); do run identity; done | best)
run gzip >/dev/null
out_bytes=$(stat -c %s "$work/out")
gzip -dc "$work/out" | cmp -s - "$data" || { echo "compress.sh: the served gzip does not decode to the data" >&2; exit 1; }

awk -v mib="$mib" -v g="$gzip_s" -v gz="$gz_us" -v id="$id_us" -v out="$out_bytes" -v lvl="$level" 'BEGIN {
    nodus = (gz - id) / 1e6
    printf "data: %d MiB of text, compressed to %.1f%% (level %d)\n", mib, 100 * out / (mib * 1048576), lvl
    printf "gzip -%d:                 %7.2f ms CPU per MiB\n", lvl, 1000 * g / mib
    printf "nodus::compression():    %7.2f ms CPU per MiB  (server CPU gzip %.3f s - identity %.3f s)\n", 1000 * nodus / mib, gz / 1e6, id / 1e6
    printf "ratio nodus / gzip:      %7.3f\n", nodus / g
}'
