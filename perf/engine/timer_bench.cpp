// Budget row 5: timer schedule + cancel (<= 40 ns). call_later + handle.cancel() from inside
// a running loop (neither needs a turn of the loop). The argument is the number of other
// timers pending, all due later than the benchmark's, so the new timer sifts to the top of the
// heap and its cancel sifts the last entry back down: O(log n) each way.
// Baseline: a std::function plus push and pop on a std::vector binary heap.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"
#include <coreloop/event_loop.hpp>

namespace {

using coreloop::event_loop;
using coreloop::timer_handle;
using namespace std::chrono_literals;

// Schedules the n other timers, then runs `body` inside a task, as a server schedules its
// timers: from a running loop, whose clock is read once per iteration.
template <class Body>
void with_pending_timers(event_loop& loop, std::int64_t n, std::int64_t& fired, Body body) {
    for (std::int64_t i = 0; i < n; ++i) {
        // Held by the heap only; the loop's close() frees them.
        (void)loop.call_later(1h + std::chrono::microseconds(i), [p = &fired] { ++*p; });
    }
    loop.run_until_complete([](Body& b) -> coreloop::coro<void> {
        b();
        co_return;
    }(body));
}

void BM_timer_schedule_cancel(benchmark::State& state) {
    event_loop loop;
    std::int64_t fired = 0;
    with_pending_timers(loop, state.range(0), fired, [&] {
        for (auto _ : state) {
            timer_handle h = loop.call_later(1s, [p = &fired] { ++*p; });
            h.cancel();
        }
    });
    benchmark::DoNotOptimize(fired);
    coreloop::bench::set_items(state, 1);
}
BENCHMARK(BM_timer_schedule_cancel)->Arg(0)->Arg(1000)->Arg(100000);

// The same on a loop that is not running: time() then reads the clock at each call (asyncio's
// loop.time() semantics outside a run), which is most of the difference.
void BM_timer_schedule_cancel_idle_loop(benchmark::State& state) {
    event_loop loop;
    std::int64_t fired = 0;
    for (auto _ : state) {
        timer_handle h = loop.call_later(1s, [p = &fired] { ++*p; });
        h.cancel();
    }
    benchmark::DoNotOptimize(fired);
    coreloop::bench::set_items(state, 1);
}
BENCHMARK(BM_timer_schedule_cancel_idle_loop);

struct heap_entry {
    std::chrono::steady_clock::time_point when;
    std::uint64_t seq;
    std::function<void()>* fn;
    bool operator>(const heap_entry& o) const noexcept {
        return when > o.when || (when == o.when && seq > o.seq);
    }
};

void BM_timer_baseline_std_heap(benchmark::State& state) {
    std::int64_t fired = 0;
    std::vector<heap_entry> heap;
    heap.reserve(static_cast<std::size_t>(state.range(0)) + 1);
    const auto now = std::chrono::steady_clock::now();
    std::uint64_t seq = 0;
    for (std::int64_t i = 0; i < state.range(0); ++i) {
        heap.push_back({now + 1h + std::chrono::microseconds(i), seq++, nullptr});
        std::push_heap(heap.begin(), heap.end(), std::greater<>{});
    }
    for (auto _ : state) {
        std::function<void()> fn = [p = &fired] { ++*p; };
        heap.push_back({now + 1s, seq++, &fn});
        std::push_heap(heap.begin(), heap.end(), std::greater<>{});
        std::pop_heap(heap.begin(), heap.end(), std::greater<>{}); // the new entry is the top
        heap.pop_back();
        benchmark::DoNotOptimize(fn);
    }
    benchmark::DoNotOptimize(fired);
    coreloop::bench::set_items(state, 1);
}
BENCHMARK(BM_timer_baseline_std_heap)->Arg(0)->Arg(1000)->Arg(100000);

} // namespace
