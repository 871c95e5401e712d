// task_group of n children (issue #3): a driver enters with_task_group, creates n tasks that
// return at once, and leaves the scope when all are done. Per child: the task's life, the
// group's done callback through the ready queue, and the join; per group: the scope's frames
// and the future the exit waits on.
#include <cstdint>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"
#include <coreloop/event_loop.hpp>
#include <coreloop/task_group.hpp>

namespace {

using coreloop::coro;
using coreloop::event_loop;
using coreloop::task_group;

coro<void> add_one(std::int64_t& sum) {
    ++sum;
    co_return;
}

void BM_task_group(benchmark::State& state) {
    event_loop loop;
    loop.run_until_complete([](benchmark::State& st) -> coro<void> {
        const std::int64_t n = st.range(0);
        std::int64_t sum = 0;
        for (auto _ : st) {
            co_await coreloop::with_task_group([&](task_group& tg) -> coro<void> {
                for (std::int64_t i = 0; i < n; ++i) {
                    tg.create_task(add_one(sum));
                }
                co_return;
            });
        }
        if (sum != st.iterations() * n) {
            st.SkipWithError("wrong sum");
        }
        coreloop::bench::set_items(st, n);
    }(state));
}
BENCHMARK(BM_task_group)->Arg(1)->Arg(1000);

} // namespace
