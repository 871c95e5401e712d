#!/usr/bin/env bash
# The main job: installs the Debian packages, builds the release preset's coreloop-bench and
# runs it. Without arguments it runs `coreloop-bench echo`: an embedded coreloop echo server
# on half the CPUs, loaded from the other half for 5 s after a 1 s warm-up, then the table.
# Usage: tools/run_bench.sh [MODE] [options]   (see docs/bench.md or --help)
# Works from any directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/install_deps.sh
cmake --preset release
cmake --build --preset release -j2 --target coreloop-bench
if [ $# -eq 0 ]; then
    set -- echo
fi
exec build/release/tools/bench/coreloop-bench "$@"
