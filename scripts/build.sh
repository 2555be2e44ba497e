#!/usr/bin/env bash
# Configure and build nodus.
#   scripts/build.sh              build/       RelWithDebInfo (-O2 -g)
#   scripts/build.sh --release    build/       Release (-O3), what run-hello.sh and bench/ use
#   scripts/build.sh --sanitize   build-asan/  AddressSanitizer + UBSan, -O1 -g, assertions on
# Extra arguments after `--` go to `cmake --build` (e.g. `-- --target hello`).
# ccache is used automatically when installed (see CMakeLists.txt).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sanitize=0
release=0
build_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sanitize) sanitize=1 ;;
        --release) release=1 ;;
        --) shift; build_args=("$@"); break ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--release] [--sanitize] [-- cmake-build-args...]" >&2; exit 2 ;;
    esac
    shift
done

if [[ $sanitize == 1 ]]; then
    dir="$root/build-asan"
    config=(-DNODUS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g")
elif [[ $release == 1 ]]; then
    dir="$root/build"
    config=(-DNODUS_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Release)
else
    dir="$root/build"
    config=(-DNODUS_SANITIZE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi

generator=()
if [[ ! -f "$dir/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)   # a directory keeps the generator it was first configured with
fi

jobs="${NODUS_JOBS:-$(nproc 2>/dev/null || echo 2)}"
echo "build: configuring $dir (${config[*]})"
cmake -S "$root" -B "$dir" "${generator[@]}" "${config[@]}"
echo "build: building with -j$jobs"
cmake --build "$dir" -j"$jobs" "${build_args[@]}"
