// Issue #3's composition costs: a timeout scope entered and left without expiring (a timer
// scheduled and cancelled, two coroutine frames), and wait_for on a future already done (the
// delay <= 0 path is not taken: a real deadline, never reached).
#include <chrono>
#include <cstdint>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"
#include <coreloop/event_loop.hpp>
#include <coreloop/timeout.hpp>
#include <coreloop/wait_for.hpp>

namespace {

using namespace std::chrono_literals;
using coreloop::coro;
using coreloop::event_loop;
using coreloop::bench::inner_batch;

coro<int> quick(coreloop::timeout&) {
    co_return 1;
}

void BM_timeout_scope_no_expiry(benchmark::State& state) {
    event_loop loop;
    loop.run_until_complete([](benchmark::State& st) -> coro<void> {
        std::int64_t sum = 0;
        for (auto _ : st) {
            for (int i = 0; i < inner_batch; ++i) {
                sum += co_await coreloop::with_timeout(1h, quick);
            }
        }
        benchmark::DoNotOptimize(sum);
        coreloop::bench::set_items(st, inner_batch);
    }(state));
}
BENCHMARK(BM_timeout_scope_no_expiry);

void BM_wait_for_result_ready(benchmark::State& state) {
    event_loop loop;
    loop.run_until_complete([](benchmark::State& st, event_loop& l) -> coro<void> {
        coreloop::future<int> ready = l.create_future<int>();
        ready.set_result(1);
        std::int64_t sum = 0;
        for (auto _ : st) {
            for (int i = 0; i < inner_batch; ++i) {
                sum += co_await coreloop::wait_for(ready, 1h);
            }
        }
        benchmark::DoNotOptimize(sum);
        coreloop::bench::set_items(st, inner_batch);
    }(state, loop));
}
BENCHMARK(BM_wait_for_result_ready);

} // namespace
