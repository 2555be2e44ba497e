#!/usr/bin/env bash
# Install what nodus needs to build and test on Debian 12; with --bench, also what bench/run.sh
# compares against. Idempotent: packages already installed are left alone, and `apt-get update`
# runs only when something is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
    echo "usage: $0 [--bench] [--fuzz]" >&2
    echo "  --bench   also install wrk, nginx-light, python3, liburing-dev, apache2-utils (ab), valgrind and Node.js (if 'node' is absent)" >&2
    echo "  --fuzz    also install clang and its libFuzzer runtime" >&2
}

want_bench=0
want_fuzz=0
for arg in "$@"; do
    case "$arg" in
        --bench) want_bench=1 ;;
        --fuzz) want_fuzz=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage; exit 2 ;;
    esac
done

# Build and test: compiler, CMake + Ninja, ccache, Boost 1.81 (Asio, Beast, URL headers,
# ProgramOptions, and JSON for nodus/json: request bodies and responses as JSON), fmt, spdlog,
# GoogleTest; curl to talk to the running examples; python3 for the docs tests (tests/docs),
# which compile and run every snippet of the documentation; systemd for `systemd-analyze verify`
# and `systemd-socket-activate` in the deploy.systemd test; zlib for the compression middleware
# (gzip/deflate responses, gzip request bodies).
packages=(g++ cmake ninja-build ccache
          libboost1.81-dev libboost-program-options1.81-dev libboost-json1.81-dev
          libfmt-dev libspdlog-dev libgtest-dev curl python3 systemd zlib1g-dev
          python3-prometheus-client chromium)
# python3-prometheus-client: the metrics tests read /metrics with Prometheus's own text-format
# parser. chromium: the status page and the chat page are tested in headless Chromium, driven
# by puppeteer-core from tests/node (npm, below).
# libssl-dev: the HTTP client's outbound TLS (asio::ssl over OpenSSL); openssl: its tests make
# a CA and a server certificate with the CLI.
packages+=(libssl-dev openssl)
# Node.js and npm run the tests in tests/node (deploy manifests, the browser tests); the
# machine's own node is used when there is one.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
optional=()
if [[ $want_fuzz == 1 ]]; then
    packages+=(clang libclang-rt-14-dev)
fi
if [[ $want_bench == 1 ]]; then
    packages+=(wrk nginx-light python3 liburing-dev apache2-utils valgrind)
    command -v node >/dev/null 2>&1 || packages+=(nodejs)
    optional+=(linux-perf valgrind)
fi

# npm packages of the tests (tests/node: kubernetes-models and js-yaml check deploy/kubernetes,
# puppeteer-core drives Chromium),
# installed from the lock file when they are missing or older than it.
npm_packages() {
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/node"
    if ! command -v npm >/dev/null 2>&1; then
        echo "setup: npm not found (the tests in tests/node need it)" >&2
        exit 1
    fi
    if [[ ! -f "$dir/node_modules/.package-lock.json" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
        echo "setup: npm ci in tests/node"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
missing_optional=()
for p in "${optional[@]}"; do installed "$p" || missing_optional+=("$p"); done

if [[ ${#missing[@]} -eq 0 && ${#missing_optional[@]} -eq 0 ]]; then
    echo "setup: all packages present"
    npm_packages
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "setup: missing packages: ${missing[*]} ${missing_optional[*]}" >&2
    echo "setup: not root and no sudo; install them and run again" >&2
    exit 1
fi

apt_get() {
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -y -q -o Dpkg::Use-Pty=0 "$@" </dev/null
}

echo "setup: installing: ${missing[*]} ${missing_optional[*]}"
apt_get update
if [[ ${#missing[@]} -gt 0 ]]; then
    apt_get install --no-install-recommends "${missing[@]}"
fi
# linux-perf and valgrind help to explain results (perf, callgrind) but are not needed to get them.
for p in "${missing_optional[@]}"; do
    apt_get install --no-install-recommends "$p" || echo "setup: optional package $p not installed" >&2
done

still=()
for p in "${packages[@]}"; do installed "$p" || still+=("$p"); done
if [[ ${#still[@]} -gt 0 ]]; then
    echo "setup: still missing after apt-get: ${still[*]}" >&2
    exit 1
fi
npm_packages
echo "setup: done"
