// Budget row 4: future::set_result -> the waiting task resumes (<= 40 ns).
//
// How the hand-off is isolated: n waiter tasks each create a fresh future, publish it in a
// slot and await it. Each timed iteration, the driver task sets all n results and yields once
// (sleep(0)); the n woken waiters run in the next loop iteration, each re-arming a fresh
// future, and the driver resumes after them. One item is one complete hand-off: set_result,
// the wake-up through the ready queue, the task step that resumes the waiter, and the
// waiter's next create_future + suspend (asyncio futures are single-use, so a real hand-off
// always pays for a fresh one). The loop iteration and the driver's yield are shared by the
// n items; with n = 1 they are not, which gives the latency form (libuv's ping_pongs).
// BM_future_ping_pong is the same latency between two symmetric tasks.
// Baseline BM_future_create_set_await_ready does create_future + set_result + co_await on a
// future that is already done: the hand-off minus the suspension, the resume and the loop.
#include <chrono>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"
#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>

namespace {

using coreloop::coro;
using coreloop::event_loop;
using coreloop::future;
using coreloop::task;
using coreloop::bench::inner_batch;

constexpr std::chrono::nanoseconds yield_now{0};

// Slot i holds the future waiter i is suspended on. A negative result ends the waiter.
coro<void> waiter(event_loop& loop, std::vector<future<int>>& slots, std::size_t i) {
    for (;;) {
        future<int> f = loop.create_future<int>();
        slots[i] = f;
        if (co_await f < 0) {
            co_return;
        }
    }
}

coro<void> handoff_driver(benchmark::State& st,
                          event_loop& loop,
                          std::vector<future<int>>& slots,
                          std::vector<task<void>>& waiters) {
    for (std::size_t i = 0; i < waiters.size(); ++i) {
        waiters[i] = loop.create_task(waiter(loop, slots, i));
    }
    co_await coreloop::sleep(yield_now); // every waiter has armed its first future
    for (auto _ : st) {
        for (auto& f : slots) {
            f.set_result(1);
        }
        co_await coreloop::sleep(yield_now); // queued behind the n woken waiters
    }
    for (auto& f : slots) {
        f.set_result(-1);
    }
    for (auto& w : waiters) {
        co_await w;
    }
    coreloop::bench::set_items(st, static_cast<std::int64_t>(slots.size()));
}

void BM_future_handoff(benchmark::State& state) {
    event_loop loop;
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<future<int>> slots(n);
    std::vector<task<void>> waiters(n);
    loop.run_until_complete(handoff_driver(state, loop, slots, waiters));
}
BENCHMARK(BM_future_handoff)->Arg(1)->Arg(64)->Arg(1024);

// --- latency: two tasks taking turns ------------------------------------------------------------

struct ping_pong_box {
    future<int> to_a;
    future<int> to_b;
};

// B: waits for a ball, hands it back; each hand-off costs a whole loop iteration.
coro<void> pong(event_loop& loop, ping_pong_box& box) {
    for (;;) {
        future<int> mine = loop.create_future<int>();
        box.to_b = mine;
        const int ball = co_await mine;
        box.to_a.set_result(ball);
        if (ball < 0) {
            co_return;
        }
    }
}

coro<void> ping(benchmark::State& st, event_loop& loop, ping_pong_box& box) {
    task<void> partner = loop.create_task(pong(loop, box));
    co_await coreloop::sleep(yield_now); // the partner has armed box.to_b
    for (auto _ : st) {
        future<int> mine = loop.create_future<int>();
        box.to_a = mine;
        box.to_b.set_result(1);
        co_await mine;
    }
    future<int> last = loop.create_future<int>();
    box.to_a = last;
    box.to_b.set_result(-1);
    co_await last;
    co_await partner;
    coreloop::bench::set_items(st, 2); // two hand-offs per round trip
}

void BM_future_ping_pong(benchmark::State& state) {
    event_loop loop;
    ping_pong_box box;
    loop.run_until_complete(ping(state, loop, box));
}
BENCHMARK(BM_future_ping_pong);

// --- baseline: the same future work without suspending ---------------------------------------

void BM_future_create_set_await_ready(benchmark::State& state) {
    event_loop loop;
    loop.run_until_complete([](benchmark::State& st, event_loop& l) -> coro<void> {
        std::int64_t sum = 0;
        for (auto _ : st) {
            for (int i = 0; i < inner_batch; ++i) {
                future<int> f = l.create_future<int>();
                f.set_result(1);
                sum += co_await f;
            }
        }
        benchmark::DoNotOptimize(sum);
        coreloop::bench::set_items(st, inner_batch);
    }(state, loop));
}
BENCHMARK(BM_future_create_set_await_ready);

} // namespace
