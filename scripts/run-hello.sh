#!/usr/bin/env bash
# Install what is missing, build in Release, and start apps/hello with config/hello.ini.
# Then: curl http://127.0.0.1:1337/
# Extra arguments go to hello (e.g. --server.port=8080 --cluster.workers=2; see --help).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" --release
cd "$root"
exec "$root/build/apps/hello/hello" --config "$root/config/hello.ini" "$@"
