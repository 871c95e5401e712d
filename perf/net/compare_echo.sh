#!/usr/bin/env bash
# compare_echo.sh: runs echo servers against the raw io_uring reference (issue #6), each server on
# CPU 0 and coreloop_echo_client on CPU 1, and prints a markdown table of rate, CPU and latency.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: compare_echo.sh [--bin-dir DIR] [--duration S] [--warmup S] [name=command ...]

Each command is a simple command (optionally VAR=value prefixes) that serves TCP echo on
127.0.0.1:{port}; the script substitutes a free port for {port}, starts it pinned to CPU 0
(taskset -c 0), waits until the port listens, runs every workload, then sends SIGTERM to its PID.
The command must exec the server itself (no wrapper that forks): its PID is what is measured.
The reference "ref_uring" (DIR/coreloop_ref_uring_echo) always runs and is the first row.

  --bin-dir DIR   holds coreloop_ref_uring_echo and coreloop_echo_client (default build/perf/net)
  --duration S    measured seconds per row (default 3)
  --warmup S      warm-up seconds per row, not measured (default 1)

example (coreloop_echo: coreloop's server from perf/net/coreloop_echo.cpp):
  perf/net/compare_echo.sh --bin-dir build-bench/perf/net \
      'protocol=build-bench/perf/net/coreloop_echo --port {port} --api protocol' \
      'streams=build-bench/perf/net/coreloop_echo --port {port} --api streams' \
      'epoll=CORELOOP_BACKEND=epoll build-bench/perf/net/coreloop_echo --port {port}'
EOF
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin_dir=$repo/build/perf/net
duration=3
warmup=1
names=()
commands=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --bin-dir) bin_dir=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *=*) names+=("${1%%=*}"); commands+=("${1#*=}"); shift ;;
    *) usage >&2; exit 2 ;;
    esac
done

client=$bin_dir/coreloop_echo_client
for tool in "$client" "$bin_dir/coreloop_ref_uring_echo"; do
    [[ -x $tool ]] || { echo "missing $tool (see --bin-dir)" >&2; exit 1; }
done
if [[ $(nproc --all) -lt 2 ]]; then
    echo "needs two CPUs: the server runs on CPU 0 and the client on CPU 1" >&2
    exit 1
fi
names=(ref_uring "${names[@]}")
commands=("$bin_dir/coreloop_ref_uring_echo --port {port}" "${commands[@]}")

# label|client arguments; every row uses 64-byte messages.
workloads=(
    "ping-pong, 1 conn|--connections 1"
    "ping-pong, 64 conns|--connections 64"
    "ping-pong, 256 conns|--connections 256"
    "pipelined x16, 64 conns|--connections 64 --pipeline 16"
)

work=$(mktemp -d)
# shellcheck source=../support/servers.sh
source "$repo/perf/support/servers.sh"
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

field() { sed -n "s/.*\"$1\": \([-0-9.e+]*\).*/\1/p" <<<"$2"; }

declare -A result # result[server,workload] = JSON line of the client, or empty
for i in "${!names[@]}"; do
    port=$(free_port)
    check_idle
    if ! start_server "server$i" "$port" "${commands[$i]}"; then
        echo "${names[$i]}: did not listen on $port; its stderr:" >&2
        cat "$work/server$i.err" >&2
        stop_server
        continue
    fi
    for w in "${!workloads[@]}"; do
        # shellcheck disable=SC2206 # the client arguments split on spaces on purpose
        args=(${workloads[$w]#*|})
        echo "${names[$i]}: ${workloads[$w]%%|*}" >&2
        result[$i,$w]=$(timeout $((${duration%.*} + ${warmup%.*} + 30)) \
            taskset -c 1 "$client" --target "127.0.0.1:$port" --size 64 "${args[@]}" \
            --duration "$duration" --warmup "$warmup" --server-pid "$server_pid" \
            --server-cpu 0 2>/dev/null) || true
    done
    stop_server
    grep -hE 'cpu_seconds|enobufs' "$work/server$i.err" | sed "s/^/${names[$i]}: /" >&2 || true
done

echo "| server | workload | msgs/s | vs ref | server CPU µs/msg | vs ref | CPU 0 busy µs/msg" \
    "| p99 µs | errors |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for w in "${!workloads[@]}"; do
    ref_rate="" ref_cpu=""
    for i in "${!names[@]}"; do
        json=${result[$i,$w]:-}
        if [[ -z $json ]]; then
            echo "| ${names[$i]} | ${workloads[$w]%%|*} | failed | | | | | | |"
            [[ $i -eq 0 ]] && ref_rate=n/a ref_cpu=n/a
            continue
        fi
        awk -v name="${names[$i]}" -v load="${workloads[$w]%%|*}" \
            -v msgs="$(field messages "$json")" -v rate="$(field msgs_per_sec "$json")" \
            -v cpu="$(field server_cpu_seconds "$json")" \
            -v busy="$(field server_cpu_busy_seconds "$json")" \
            -v p99="$(field p99_us "$json")" -v errors="$(field errors "$json")" \
            -v ref_rate="$ref_rate" -v ref_cpu="$ref_cpu" 'BEGIN {
                per = msgs > 0 ? cpu * 1e6 / msgs : 0
                busy_per = msgs > 0 ? busy * 1e6 / msgs : 0
                r1 = ref_rate == "" ? "1.00" : ref_rate + 0 > 0 ? sprintf("%.2f", rate / ref_rate) : "n/a"
                r2 = ref_cpu == "" ? "1.00" : ref_cpu + 0 > 0 ? sprintf("%.2f", per / ref_cpu) : "n/a"
                printf "| %s | %s | %.0f | %s | %.2f | %s | %.2f | %.1f | %d |\n",
                    name, load, rate, r1, per, r2, busy_per, p99, errors
            }'
        if [[ $i -eq 0 ]]; then
            ref_rate=$(field msgs_per_sec "$json")
            ref_cpu=$(awk -v c="$(field server_cpu_seconds "$json")" \
                -v m="$(field messages "$json")" 'BEGIN { print (m > 0 ? c * 1e6 / m : 0) }')
        fi
    done
done
