// The live progress line of a run: elapsed time, requests per second over the last second,
// and errors so far. On a terminal one line is rewritten in place; otherwise a line a second.
#pragma once

#include <cstdio>
#include <vector>

#include <coreloop/coro.hpp>

#include "bench/load_connection.hpp"
#include "bench/stats.hpp"

namespace coreloop::bench {

/// Prints a line to `out` every second from `start` on until cancelled. `counters` are every
/// shard's live counters; the window [from, to) is the measured part of the run.
/// Shard: inside a task; the counters must outlive it.
coro<void> show_progress(std::vector<const live_counters*> counters,
                         clock::time_point start,
                         clock::time_point from,
                         std::FILE* out);

/// Ends the progress display: clears the line on a terminal.
void end_progress(std::FILE* out);

} // namespace coreloop::bench
