// Budget row 1: call_soon + run one callback (DESIGN.md "Performance budgets": <= 25 ns).
// Each timed iteration schedules a batch of n callbacks and runs the loop until the last one
// stops it, so the figure per item is one call_soon plus its share of one loop iteration.
#include <cstdint>
#include <functional>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"
#include <coreloop/event_loop.hpp>

namespace {

using coreloop::event_loop;

// What every callback captures: one pointer, so the callable sits inline in the handle.
struct counter {
    event_loop* loop = nullptr;
    std::int64_t ran = 0;
    std::int64_t stop_at = 0;
};

void BM_call_soon_run(benchmark::State& state) {
    event_loop loop;
    counter c{&loop, 0, 0};
    const std::int64_t n = state.range(0);
    for (auto _ : state) {
        c.stop_at = c.ran + n;
        for (std::int64_t i = 0; i < n; ++i) {
            loop.call_soon([p = &c] {
                if (++p->ran == p->stop_at) {
                    p->loop->stop();
                }
            });
        }
        loop.run_forever(); // one iteration: the whole batch was ready when it began
    }
    if (c.ran != state.iterations() * n) {
        state.SkipWithError("not every callback ran");
    }
    coreloop::bench::set_items(state, n);
}
// 1: the loop iteration (one io_uring_enter or epoll_wait) is paid by a single callback.
// 64 and 1024: the per-callback cost. 4096: more handles than the frame pool caches per size
// class (frame_cache_limit = 1024), so some go to malloc.
BENCHMARK(BM_call_soon_run)->Arg(1)->Arg(64)->Arg(1024)->Arg(4096);

// Baseline: the same batch as std::function objects in a pre-sized vector, each called once.
void BM_call_soon_baseline_std_function(benchmark::State& state) {
    counter c{nullptr, 0, 0};
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<std::function<void()>> queue;
    queue.reserve(n);
    for (auto _ : state) {
        c.stop_at = c.ran + static_cast<std::int64_t>(n);
        for (std::size_t i = 0; i < n; ++i) {
            queue.emplace_back([p = &c] {
                if (++p->ran == p->stop_at) {
                    benchmark::DoNotOptimize(p);
                }
            });
        }
        for (auto& fn : queue) {
            fn();
        }
        queue.clear();
    }
    benchmark::DoNotOptimize(c.ran);
    coreloop::bench::set_items(state, static_cast<std::int64_t>(n));
}
BENCHMARK(BM_call_soon_baseline_std_function)->Arg(1024);

} // namespace
