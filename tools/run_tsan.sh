#!/usr/bin/env bash
# ThreadSanitizer: builds the engine, sync, net and tools tests with the tsan preset (clang 19)
# and runs the suites that cross threads (the thread bridges, the shards and everything that
# crosses them, sharded servers, DNS lookups and coreloop-bench's runs included) and the
# loop's core suites, under tools/tsan.supp.
# Usage: tools/run_tsan.sh [ctest -R regex]   Exits non-zero on a build failure or a report.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

suites='CallSoonThreadsafe|ConcurrentFuture|RunCoroutineThreadsafe|ThreadPoolExecutor|RunInExecutor|RunnerExecutor|SpscRing|SpscSender'
shards='Engine|SubmitTo|ShardStress|ShardWake|ShardShutdown|Broadcast|Sharded|ForeignPtr|Channel'
core='EventLoop|Task|Future|Runner|Reactor|Context|Sleep|Multishot|Dns'
tools='BenchRun|BenchCli'
regex="${1:-$suites|$shards|$core|$tools}"

cmake --preset tsan
cmake --build --preset tsan -j2 --target coreloop_engine_tests coreloop_sync_tests \
    coreloop_net_tests coreloop_tools_tests

export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tools/tsan.supp"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build/tsan --output-on-failure -j2 --timeout 120 --no-tests=error -R "$regex"
