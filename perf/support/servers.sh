# Shell functions shared by perf's comparison scripts (sourced, not run): free ports, a
# server started pinned to CPU 0 and stopped by SIGTERM, and a check that CPUs 0 and 1 are
# idle before a row is measured.
# Uses: $work (a scratch directory the caller made) and sets $server_pid.

server_pid=""

free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        [[ -z $(ss -Htln "sport = :$port") ]] && { echo "$port"; return; }
    done
}

# start_server NAME PORT COMMAND: runs COMMAND (its {port} replaced by PORT; VAR=value
# prefixes allowed) pinned to CPU 0, output in $work/NAME.out and .err; sets server_pid.
# Returns non-zero if it never listens. The command must exec the server itself (no wrapper
# that forks): its PID is what is measured.
start_server() {
    local name=$1 port=$2 cmd=${3//\{port\}/$2}
    # exec keeps the PID: subshell -> taskset -> env -> the server.
    (eval "exec taskset -c 0 env $cmd") >"$work/$name.out" 2>"$work/$name.err" &
    server_pid=$!
    for _ in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || return 1
        [[ -n $(ss -Htln "sport = :$port") ]] && return 0
        sleep 0.1
    done
    return 1
}

stop_server() {
    [[ -n $server_pid ]] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# utime + stime of process $1 in clock ticks.
process_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Waits (at most 5 s) until CPUs 0 and 1 are idle, and warns if they never are: a server that
# has just stopped may still be tearing down, and other load skews every figure of a row.
check_idle() {
    # shellcheck disable=SC2016 # an awk program, not a shell expansion
    local sample='/^cpu[01] / { busy = $2 + $3 + $4 + $7 + $8; printf "%d %d ", busy, busy + $5 + $6 }'
    local before after busy
    for _ in $(seq 10); do
        before=$(awk "$sample" /proc/stat)
        sleep 0.5
        after=$(awk "$sample" /proc/stat)
        busy=$(awk -v a="$before" -v b="$after" 'BEGIN {
            split(a, x); split(b, y)
            for (c = 0; c < 2; c++) {
                share = (y[2 * c + 1] - x[2 * c + 1]) / (y[2 * c + 2] - x[2 * c + 2] + 1e-9)
                if (share > 0.05)
                    printf "CPU %d was %.0f%% busy; ", c, share * 100
            }
        }')
        [[ -z $busy ]] && return 0
    done
    echo "warning: ${busy%; } before the run" >&2
}
