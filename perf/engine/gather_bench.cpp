// Issue #3: gather of 1,000 ready coroutines (cost per child: a task's life plus the
// gather's bookkeeping), the same with 1,000 tasks created beforehand, and wait() over 1,000
// tasks already done (the cost of watching and sorting each one).
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"
#include <coreloop/event_loop.hpp>
#include <coreloop/gather.hpp>
#include <coreloop/wait.hpp>

namespace {

using coreloop::coro;
using coreloop::event_loop;
using coreloop::task;

coro<int> return_one() {
    co_return 1;
}

void BM_gather_ready_coros(benchmark::State& state) {
    event_loop loop;
    auto n = static_cast<std::size_t>(state.range(0));
    loop.run_until_complete([](benchmark::State& st, std::size_t count) -> coro<void> {
        std::int64_t sum = 0;
        std::vector<coro<int>> children;
        for (auto _ : st) {
            children.clear();
            children.reserve(count);
            for (std::size_t i = 0; i < count; ++i) {
                children.push_back(return_one());
            }
            std::vector<int> results = co_await coreloop::gather(children);
            for (int v : results) {
                sum += v;
            }
        }
        if (sum != st.iterations() * static_cast<std::int64_t>(count)) {
            st.SkipWithError("wrong sum");
        }
        coreloop::bench::set_items(st, static_cast<std::int64_t>(count));
    }(state, n));
}
BENCHMARK(BM_gather_ready_coros)->Arg(1)->Arg(1000);

void BM_gather_tuple_of_three(benchmark::State& state) {
    event_loop loop;
    loop.run_until_complete([](benchmark::State& st) -> coro<void> {
        std::int64_t sum = 0;
        for (auto _ : st) {
            auto [a, b, c] = co_await coreloop::gather(return_one(), return_one(), return_one());
            sum += a + b + c;
        }
        benchmark::DoNotOptimize(sum);
        coreloop::bench::set_items(st, 3);
    }(state));
}
BENCHMARK(BM_gather_tuple_of_three);

void BM_wait_done_tasks(benchmark::State& state) {
    event_loop loop;
    auto n = static_cast<std::size_t>(state.range(0));
    loop.run_until_complete([](benchmark::State& st, std::size_t count) -> coro<void> {
        std::vector<task<int>> tasks;
        for (std::size_t i = 0; i < count; ++i) {
            tasks.push_back(coreloop::create_task(return_one()));
        }
        co_await coreloop::gather(tasks);
        std::size_t done = 0;
        for (auto _ : st) {
            auto r = co_await coreloop::wait(tasks);
            done += r.done.size();
        }
        if (done != st.iterations() * count) {
            st.SkipWithError("not every task was done");
        }
        coreloop::bench::set_items(st, static_cast<std::int64_t>(count));
    }(state, n));
}
BENCHMARK(BM_wait_done_tasks)->Arg(1000);

} // namespace
