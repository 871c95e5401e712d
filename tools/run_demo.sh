#!/usr/bin/env bash
# Installs the Debian packages, builds the release preset's coreloop-demo and runs it.
# Usage: tools/run_demo.sh [--backend io_uring|epoll]   (arguments go to coreloop-demo)
# Works from any directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/install_deps.sh
cmake --preset release
cmake --build --preset release -j2 --target coreloop-demo
exec build/release/tools/coreloop-demo "$@"
