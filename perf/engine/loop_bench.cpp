// Baseline for the rows that need the loop to turn: one loop iteration with one task step
// (asyncio's `await asyncio.sleep(0)`). Anything that must wait for the next iteration (a
// woken task, a new task's first step) pays at least this once per iteration.
#include <chrono>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"
#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>

namespace {

using coreloop::coro;
using coreloop::event_loop;

void BM_loop_yield(benchmark::State& state) {
    event_loop loop;
    loop.run_until_complete([](benchmark::State& st) -> coro<void> {
        for (auto _ : st) {
            co_await coreloop::sleep(std::chrono::nanoseconds(0));
        }
        coreloop::bench::set_items(st, 1);
    }(state));
}
BENCHMARK(BM_loop_yield);

} // namespace
