// The thread bridges: call_soon_threadsafe from a foreign thread into a running loop
// (throughput: producer push + loop drain + run), and the run_in_executor round trip
// (loop -> pool thread -> inbox -> loop, one at a time, so each trip pays the wake-ups).
#include <atomic>
#include <cstdint>
#include <thread>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"
#include <coreloop/event_loop.hpp>
#include <coreloop/executor.hpp>
#include <coreloop/task.hpp>

namespace {

using coreloop::event_loop;

// One foreign producer posts n callbacks; the loop runs until the last one stops it. The
// loop may go to sleep when it drains faster than the producer posts, so the figure includes
// the wake-ups that costs.
void BM_call_soon_threadsafe_foreign(benchmark::State& state) {
    event_loop loop;
    const std::int64_t n = state.range(0);
    std::int64_t ran = 0; // loop thread only
    for (auto _ : state) {
        std::int64_t stop_at = ran + n;
        std::thread producer([&loop, &ran, n, stop_at] {
            for (std::int64_t i = 0; i < n; ++i) {
                loop.call_soon_threadsafe([&loop, &ran, stop_at] {
                    if (++ran == stop_at) {
                        loop.stop();
                    }
                });
            }
        });
        loop.run_forever();
        producer.join();
    }
    if (ran != state.iterations() * n) {
        state.SkipWithError("not every callback ran");
    }
    coreloop::bench::set_items(state, n);
}
BENCHMARK(BM_call_soon_threadsafe_foreign)
        ->Arg(100000)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);

coreloop::coro<void> round_trips(event_loop& loop, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
        co_await loop.run_in_executor(nullptr, [] { return 1; });
    }
}

void BM_run_in_executor_round_trip(benchmark::State& state) {
    event_loop loop;
    const std::int64_t n = coreloop::bench::inner_batch;
    for (auto _ : state) {
        loop.run_until_complete(round_trips(loop, n));
    }
    coreloop::bench::set_items(state, n);
}
BENCHMARK(BM_run_in_executor_round_trip)->UseRealTime();

} // namespace
