// Budget row 3: create_task + await its result (<= 80 ns). A driver task creates n tasks,
// then awaits each. The children's first steps run in the next loop iteration and the driver
// resumes in the one after, so a batch costs n task lives plus two loop iterations; n = 1 is
// the sequential latency (asyncio's `await create_task(f())`), n = 64 and 1024 the throughput
// (Tokio's benches/spawn.rs spawns many, then joins them).
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"
#include <coreloop/event_loop.hpp>

namespace {

using coreloop::coro;
using coreloop::event_loop;
using coreloop::task;

coro<int> return_one() {
    co_return 1;
}

void BM_create_task_await(benchmark::State& state) {
    event_loop loop;
    std::vector<task<int>> tasks(static_cast<std::size_t>(state.range(0)));
    loop.run_until_complete(
            [](benchmark::State& st, event_loop& l, std::vector<task<int>>& ts) -> coro<void> {
                std::int64_t sum = 0;
                for (auto _ : st) {
                    for (auto& t : ts) {
                        t = l.create_task(return_one()); // drops the previous batch's task
                    }
                    for (auto& t : ts) {
                        sum += co_await t;
                    }
                }
                if (sum != st.iterations() * static_cast<std::int64_t>(ts.size())) {
                    st.SkipWithError("wrong sum");
                }
                coreloop::bench::set_items(st, static_cast<std::int64_t>(ts.size()));
            }(state, loop, tasks));
}
BENCHMARK(BM_create_task_await)->Arg(1)->Arg(64)->Arg(1024);

} // namespace
