#!/usr/bin/env bash
# Installs the Debian packages, configures and builds a CMake preset, and runs every test.
# Usage: tools/run_tests.sh [release|debug|asan|tsan]   (default: release; see CMakePresets.json)
# Works from any directory; exits non-zero if a step or any test fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

preset="${1:-release}"

bash tools/install_deps.sh
cmake --preset "$preset"
cmake --build --preset "$preset" -j2

# Sanitizer reports stop the test at the first error, with a stack trace. io_uring needs no
# sanitizer setting: the engine only hands the kernel memory that it owns.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
case "$preset" in
asan) export ASAN_OPTIONS="detect_leaks=1" ;;
tsan) export TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tools/tsan.supp" ;;
esac

# Each test also has its own TIMEOUT (tests/CMakeLists.txt); --timeout covers any without one.
ctest --test-dir "build/$preset" --output-on-failure -j2 --timeout 120 --no-tests=error
