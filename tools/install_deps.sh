#!/usr/bin/env bash
# Installs the Debian 12 packages coreloop needs to build, test and benchmark.
# Idempotent and non-interactive; run as root (or through sudo).
set -euo pipefail

packages=(
    g++ cmake ninja-build pkg-config git python3
    # perf/net/compare_echo.sh: ss (iproute2) sees when a server listens.
    iproute2
    liburing-dev libhwloc-dev libssl-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    # clang-19 builds the sanitizer configurations (llvm-19 brings the llvm-symbolizer their
    # reports need for file:line stacks); clang-format-14 checks layout.
    clang-19 libclang-rt-19-dev llvm-19 clang-format-14
    # perf/peers/compare_peers.sh: the peers coreloop is compared with, and the HTTP load
    # generators (wrk; h2load, from nghttp2-client, for coreloop-httpd's robustness runs).
    python3-uvloop nodejs nginx wrk nghttp2-client
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# Installing nginx would start its system service on port 80; the benchmarks start their own.
# A policy-rc.d that refuses every start keeps it stopped (unless the system has one).
policy=/usr/sbin/policy-rc.d
made_policy=false
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    made_policy=true
fi
$sudo apt-get update -qq
status=0
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
if $made_policy; then
    $sudo rm -f "$policy"
fi
[ "$status" -eq 0 ] || exit "$status"
echo "installed: ${missing[*]}"
