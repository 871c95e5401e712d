#!/usr/bin/env bash
# compare_peers.sh: one run, same pinned CPUs, coreloop against its peers (issue #7). Echo:
# coreloop (protocols, streams), the hand-written io_uring and epoll loops, Python asyncio,
# uvloop and Node.js, loaded by coreloop-bench. HTTP: coreloop-httpd, nginx (one process)
# and Node's http, loaded by wrk and by coreloop-bench (pipelined). Every server runs on
# CPU 0 and the load on CPU 1; prints markdown tables with each row's ratio to coreloop.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: perf/peers/compare_peers.sh [--bin-dir DIR] [--duration S] [--warmup S]
                                   [--repeat N] [--only echo|http] [--record]

  --bin-dir DIR   a build with perf and tools (default build-bench: see perf/README.md)
  --duration S    measured seconds per row (default 5)
  --warmup S      warm-up seconds per row, not measured (default 1)
  --repeat N      measure every row N times, in N rounds over all servers, and report the
                  best of each figure (default 1)
  --only SECTION  run only the echo or the http comparison
  --record        also append the output to docs/performance.md

Peers that are not installed (tools/install_deps.sh installs them all) are skipped with a
note. The server CPU time per request (utime + stime of the server's process over the
measured window) is the fair figure: on two CPUs one load generator can cap any good
server's throughput.
USAGE
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin_dir=$repo/build-bench
duration=5
warmup=1
repeat=1
only=""
record=false
while [[ $# -gt 0 ]]; do
    case $1 in
    --bin-dir) bin_dir=$(cd "$2" && pwd); shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --record) record=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done

bench=$bin_dir/tools/bench/coreloop-bench
for tool in "$bench" "$bin_dir/perf/net/coreloop_echo" "$bin_dir/tools/httpd/coreloop-httpd"; do
    [[ -x $tool ]] || { echo "missing $tool (build it: see perf/README.md)" >&2; exit 1; }
done
if [[ $(nproc --all) -lt 2 ]]; then
    echo "needs two CPUs: the servers run on CPU 0 and the load on CPU 1" >&2
    exit 1
fi

work=$(mktemp -d)
# shellcheck source=../support/servers.sh
source "$repo/perf/support/servers.sh"
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
results=$work/results.tsv
: >"$results"
peers=$repo/perf/peers

have() { command -v "$1" >/dev/null 2>&1; }
# Debian's python3 (with Debian's python3-uvloop), even where another python3 comes first in
# PATH (pyenv, a virtualenv).
python=/usr/bin/python3
[[ -x $python ]] || python=python3
has_uvloop() { "$python" -c 'import uvloop' 2>/dev/null; }

# Rows: name|command ({port} is replaced); a command starting with "!" names what it needs.
echo_servers=(
    "coreloop protocols|$bin_dir/perf/net/coreloop_echo --port {port} --api protocol"
    "coreloop streams|$bin_dir/perf/net/coreloop_echo --port {port} --api streams"
    "io_uring loop|$bin_dir/perf/net/coreloop_ref_uring_echo --port {port}"
    "epoll loop|$bin_dir/perf/net/coreloop_ref_epoll_echo --port {port}"
    "asyncio|$python $peers/asyncio_echo.py --port {port}"
    "uvloop|$python $peers/asyncio_echo.py --uvloop --port {port}"
    "node|node $peers/node_echo.js {port}"
)
echo_loads=(
    "64 conns|--connections 64"
    "64 conns, pipelined x16|--connections 64 --pipeline 16"
)
http_servers=(
    "coreloop-httpd|$bin_dir/tools/httpd/coreloop-httpd --port {port} --shards 1"
    "nginx|nginx -c $work/nginx-{port}.conf -p $work"
    "node http|node $peers/node_http.js {port}"
)
http_loads=(
    "wrk, 64 conns|wrk"
    "coreloop-bench, 64 conns, pipelined x16|--connections 64 --pipeline 16"
)

# available NAME: whether the peer's program is installed (a note on stderr if not).
available() {
    local missing=""
    case $1 in
    uvloop) has_uvloop || missing=python3-uvloop ;;
    node*) have node || missing=nodejs ;;
    nginx) have nginx || missing=nginx ;;
    asyncio) have "$python" || missing=python3 ;;
    epoll\ loop) [[ -x $bin_dir/perf/net/coreloop_ref_epoll_echo ]] || missing=coreloop_ref_epoll_echo ;;
    io_uring\ loop) [[ -x $bin_dir/perf/net/coreloop_ref_uring_echo ]] || missing=coreloop_ref_uring_echo ;;
    esac
    [[ -z $missing ]] && return 0
    echo "skipping $1: $missing is not installed" >&2
    return 1
}

# record_row SECTION SERVER LOAD JSON: one result line from coreloop-bench's JSON.
record_row() {
    python3 - "$@" >>"$results" <<'PY'
import json, sys
section, server, load, text = sys.argv[1:5]
try:
    r = json.loads(text)
    cpu = r["server_cpu_us_per_request"]
    print("\t".join([section, server, load, f'{r["requests_per_s"]:.0f}',
                     "" if cpu is None else f"{cpu:.3f}", f'{r["latency_us"]["p99"]:.0f}',
                     str(r["errors"]["total"])]))
except (ValueError, KeyError):
    print("\t".join([section, server, load, "", "", "", "failed"]))
PY
}

# wrk_row SERVER PORT: a warm-up, then the measured wrk run and the server's CPU over it.
wrk_row() {
    local url=http://127.0.0.1:$2/plaintext out before after
    taskset -c 1 wrk -t1 -c64 -d"${warmup}s" "$url" >/dev/null
    before=$(process_ticks "$server_pid")
    out=$(taskset -c 1 wrk -t1 -c64 -d"${duration}s" --latency "$url")
    after=$(process_ticks "$server_pid")
    python3 - "$1" "$before" "$after" "$(getconf CLK_TCK)" "$out" >>"$results" <<'PY'
import re, sys
server, before, after, hz, out = sys.argv[1:6]
units = {"us": 1, "ms": 1e3, "s": 1e6}
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
requests = int(re.search(r"(\d+) requests in", out).group(1))
p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
errors = sum(int(n) for n in re.findall(r"(?:Socket errors:.*?|Non-2xx or 3xx responses:)\s*(\d+)", out))
cpu_us = (int(after) - int(before)) / int(hz) * 1e6 / max(requests, 1)
print("\t".join(["http", server, "wrk, 64 conns", f"{rate:.0f}", f"{cpu_us:.3f}",
                 f"{float(p99.group(1)) * units[p99.group(2)]:.0f}", str(errors)]))
PY
}

# run_section ROUND SECTION SERVERS... -- LOADS...: round r starts with the r-th server, so
# that no server is always the first after a pause.
run_section() {
    local round=$1 section=$2 entry name cmd port load label args json i
    shift 2
    local -a listed=() servers=() loads=()
    while [[ $1 != -- ]]; do listed+=("$1"); shift; done
    shift
    loads=("$@")
    for i in "${!listed[@]}"; do
        servers+=("${listed[$(((i + round) % ${#listed[@]}))]}")
    done
    for entry in "${servers[@]}"; do
        name=${entry%%|*}
        cmd=${entry#*|}
        available "$name" || continue
        port=$(free_port)
        [[ $name == nginx ]] && sed -e "s|@PORT@|$port|" -e "s|@DIR@|$work|" \
            "$peers/nginx.conf.in" >"$work/nginx-$port.conf"
        check_idle
        if ! start_server "server" "$port" "$cmd"; then
            echo "$name: did not listen on $port; its stderr:" >&2
            cat "$work/server.err" >&2
            stop_server
            continue
        fi
        for load in "${loads[@]}"; do
            label=${load%%|*}
            args=${load#*|}
            echo "$section: $name, $label" >&2
            if [[ $args == wrk ]]; then
                if have wrk; then
                    wrk_row "$name" "$port"
                else
                    echo "skipping wrk: not installed" >&2
                fi
                continue
            fi
            # shellcheck disable=SC2086 # the load's arguments split on spaces on purpose
            json=$(timeout $((${duration%.*} + ${warmup%.*} + 30)) taskset -c 1 "$bench" \
                "$section" --target "127.0.0.1:$port" --shards 1 $args --duration "$duration" \
                --warmup "$warmup" --server-pid "$server_pid" --json 2>/dev/null) || true
            record_row "$section" "$name" "$label" "$json"
        done
        stop_server
    done
}

{
    echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'): $(uname -sr), $(lscpu | sed -n 's/^Model name: *//p'),"\
        "$(nproc --all) CPUs; servers on CPU 0, load on CPU 1; ${duration} s measured after ${warmup} s;" \
        "the best of $repeat."
    echo "Peers: $("$python" --version 2>&1)$(has_uvloop && "$python" -c 'import uvloop; print(", uvloop", uvloop.__version__)' | tr -d '\n')," \
        "$(have node && echo "Node $(node --version)"), $(have nginx && nginx -v 2>&1 | sed 's|.*/|nginx |')," \
        "$(have wrk && wrk -v 2>&1 | head -1 | awk '{print "wrk", $2}')."
    echo "Command: perf/peers/compare_peers.sh --duration $duration --warmup $warmup" \
        "--repeat $repeat${only:+ --only $only}"
    echo
} >"$work/header.md"

# The first load after a pause runs a few percent slow (the virtual CPUs wake up): a
# throwaway run comes first.
echo "warming up" >&2
run_section 0 echo "${echo_servers[2]}" -- "throwaway|--connections 64" 2>/dev/null
: >"$results"
# Rounds over all servers rather than repeats of one: a slow phase of the machine then
# touches every server alike.
for round in $(seq 0 $((repeat - 1))); do
    [[ $only == http ]] || run_section "$round" echo "${echo_servers[@]}" -- "${echo_loads[@]}"
    [[ $only == echo ]] || run_section "$round" http "${http_servers[@]}" -- "${http_loads[@]}"
done

python3 "$peers/tables.py" "$results" >"$work/tables.md"
cat "$work/header.md" "$work/tables.md"
if $record; then
    {
        echo
        echo "## $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo
        cat "$work/header.md" "$work/tables.md"
    } >>"$repo/docs/performance.md"
    echo "recorded in docs/performance.md" >&2
fi
