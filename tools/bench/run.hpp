// A whole load run on the running engine: the embedded server if any, the client shards, the
// warm-up, the measured window and the figures merged over every shard.
#pragma once

#include <cstdio>
#include <string>

#include <coreloop/coro.hpp>

#include "bench/bench_shard.hpp"
#include "bench/options.hpp"
#include "bench/stats.hpp"

namespace coreloop::bench {

/// What a run measured, and how it was set up.
struct run_report {
    run_plan plan;
    /// host:port that was loaded.
    std::string target;
    /// The I/O backend of the shards' loops ("io_uring" or "epoll").
    std::string backend;
    /// The measured window, in seconds.
    double seconds = 0;
    /// Every shard's figures over the window, merged.
    shard_result total;
    /// CPU seconds of --server-pid over the window; negative when unknown.
    double external_server_cpu = -1;
};

/// Runs the load `options` describe on every shard of the running engine and returns the
/// figures. Progress lines go to `progress` (nullptr: none). Errors of the load (refused,
/// reset, timeouts, bad responses) are counted, never thrown.
/// Errors: io_error when the embedded server cannot listen.
/// Cancellation: every connection is closed and every shard's part stopped.
/// Shard: inside a task on shard 0 of a running engine.
coro<run_report> run_bench(const bench_options& options, std::FILE* progress);

} // namespace coreloop::bench
