#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run each for N seconds (one at a time).
#   scripts/fuzz.sh                    every target, 60 s each
#   scripts/fuzz.sh -t 300 router      one target (router, request_head, request_pipeline, cookie,
#                                      form, accept_encoding, gzip_body, json_reader, websocket,
#                                      metrics_snapshot, response_head, static_range, static_path)
#   scripts/fuzz.sh --regress          only replay the seed corpora and regressions (-runs=0)
#   scripts/fuzz.sh --build-only
# Build dir: build-fuzz/ (override with NODUS_FUZZ_BUILD_DIR). The growing corpora and crash
# artifacts go to build-fuzz/work/<target>/ and build-fuzz/work/artifacts/; the seeds in
# tests/fuzz/corpus/ are read, never written. Extra libFuzzer flags: NODUS_FUZZ_FLAGS.
# NODUS_FUZZ_UBSAN_RECOVER (default: empty) lists UBSan checks that report and continue
# while fuzzing; the --regress runs halt on every report. NODUS_FUZZ_SKIP_KNOWN=1 keeps the
# pipeline driver off the declared Content-Length case (see tests/fuzz/README.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${NODUS_FUZZ_BUILD_DIR:-$root/build-fuzz}"
recover="${NODUS_FUZZ_UBSAN_RECOVER-}"
seconds=60
mode=fuzz
targets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -t|--time) seconds="$2"; shift ;;
        --regress) mode=regress ;;
        --build-only) mode=build ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        router|request_head|request_pipeline|cookie|form|accept_encoding|gzip_body|json_reader|websocket|metrics_snapshot|response_head|static_range|static_path) targets+=("$1") ;;
        *) echo "usage: $0 [-t seconds] [--regress|--build-only] [router|request_head|request_pipeline|cookie|form|accept_encoding|gzip_body|json_reader|websocket|metrics_snapshot|response_head|static_range|static_path]..." >&2
           exit 2 ;;
    esac
    shift
done
[[ ${#targets[@]} -gt 0 ]] || targets=(router request_head request_pipeline cookie form accept_encoding gzip_body json_reader websocket metrics_snapshot response_head static_range static_path)

bash "$root/scripts/setup.sh" --fuzz
CC=clang CXX=clang++ cmake -S "$root" -B "$dir" \
    -DNODUS_BUILD_FUZZERS=ON -DNODUS_BUILD_APPS=OFF -DNODUS_BUILD_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DNODUS_FUZZ_UBSAN_RECOVER=$recover" >/dev/null
cmake --build "$dir" -j2 --target nodus_fuzzers
[[ $mode == build ]] && exit 0

bin="$dir/tests/fuzz"
fuzz="$root/tests/fuzz"
mkdir -p "$dir/work"
status=0
for t in "${targets[@]}"; do
    dict="$fuzz/http.dict"
    max_len=4096
    if [[ $t == router ]]; then dict="$fuzz/router.dict"; max_len=512; fi
    if [[ $t == cookie || $t == form || $t == accept_encoding ]]; then dict="$fuzz/web.dict"; fi
    if [[ $t == static_range ]]; then dict="$fuzz/static_files.dict"; fi
    if [[ $t == static_path ]]; then dict="$fuzz/static_files.dict"; max_len=512; fi
    if [[ $t == json_reader ]]; then dict="$fuzz/json.dict"; fi
    seeds=("$fuzz/corpus/$t")
    [[ -d $fuzz/regressions/$t ]] && seeds+=("$fuzz/regressions/$t")
    if [[ $mode == regress ]]; then
        echo "== $t: replaying ${seeds[*]}"
        env -u NODUS_FUZZ_SKIP_KNOWN ASAN_OPTIONS=abort_on_error=1 \
            UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
            "$bin/fuzz_$t" -runs=0 -artifact_prefix="$dir/work/regress-$t-" "${seeds[@]}" || status=1
        continue
    fi
    work="$dir/work/$t"
    mkdir -p "$work" "$dir/work/artifacts"
    echo "== $t: ${seconds}s, corpus $work"
    rc=0
    # shellcheck disable=SC2086
    NODUS_FUZZ_SKIP_KNOWN="${NODUS_FUZZ_SKIP_KNOWN-0}" UBSAN_OPTIONS=halt_on_error=0:print_stacktrace=1 \
        "$bin/fuzz_$t" -max_total_time="$seconds" -dict="$dict" -max_len="$max_len" \
        -artifact_prefix="$dir/work/artifacts/$t-" -print_final_stats=1 ${NODUS_FUZZ_FLAGS:-} \
        "$work" "${seeds[@]}" >"$dir/work/$t.log" 2>&1 || rc=$?
    grep -E "^#[0-9]+ +(INITED|DONE)|ERROR|runtime error|invariant failed|stat::" "$dir/work/$t.log" || true
    if [[ $rc != 0 ]]; then
        echo "== $t FAILED (exit $rc): see $dir/work/$t.log and $dir/work/artifacts/" >&2
        status=1
    fi
done
exit $status
