// Shared pieces of the engine benchmarks: batch sizes and the callables they schedule.
#pragma once

#include <cstdint>

#include <benchmark/benchmark.h>

namespace coreloop::bench {

/// Operations per timed iteration for the nanosecond-scale benchmarks, so that the cost of
/// Google Benchmark's own loop (and of a loop iteration, where one is needed) is amortised.
inline constexpr int inner_batch = 64;

/// Reports `per_iteration` operations per timed iteration.
inline void set_items(benchmark::State& state, std::int64_t per_iteration) {
    state.SetItemsProcessed(state.iterations() * per_iteration);
}

} // namespace coreloop::bench
