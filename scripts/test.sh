#!/usr/bin/env bash
# Install what is missing, build, and run the whole test suite.
#   scripts/test.sh              build/       (RelWithDebInfo)
#   scripts/test.sh --sanitize   build-asan/  (AddressSanitizer + UBSan; any report fails the test)
# Extra arguments after `--` go to ctest (e.g. `-- -R router`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sanitize=0
ctest_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sanitize) sanitize=1 ;;
        --) shift; ctest_args=("$@"); break ;;
        -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--sanitize] [-- ctest-args...]" >&2; exit 2 ;;
    esac
    shift
done

bash "$root/scripts/setup.sh"
if [[ $sanitize == 1 ]]; then
    bash "$root/scripts/build.sh" --sanitize
    dir="$root/build-asan"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
else
    bash "$root/scripts/build.sh"
    dir="$root/build"
fi

jobs="${NODUS_JOBS:-$(nproc 2>/dev/null || echo 2)}"
# Tests bind ephemeral ports on 127.0.0.1, so they can run in parallel.
ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 300 "${ctest_args[@]}"
