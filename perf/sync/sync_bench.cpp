// sync primitives: uncontended lock acquire+release, queue put+get ping-pong between two
// tasks, and a semaphore handed round 100 waiting tasks (SPEC §16 "lock/queue ping-pong").
#include <chrono>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/sync/lock.hpp>
#include <coreloop/sync/queue.hpp>
#include <coreloop/sync/semaphore.hpp>

namespace {

using coreloop::coro;
using coreloop::event_loop;
using coreloop::task;
namespace sync = coreloop::sync;

constexpr int inner_batch = 64;

// Never suspends: the lock is free and nobody waits.
void BM_lock_uncontended(benchmark::State& state) {
    event_loop loop;
    loop.run_until_complete([](benchmark::State& st) -> coro<void> {
        sync::lock l;
        for (auto _ : st) {
            for (int i = 0; i < inner_batch; ++i) {
                co_await l.acquire();
                l.release();
            }
        }
        st.SetItemsProcessed(st.iterations() * inner_batch);
    }(state));
}
BENCHMARK(BM_lock_uncontended);

coro<void> echo(sync::queue<int>& in, sync::queue<int>& out) {
    for (;;) {
        int v = co_await in.get();
        if (v < 0) {
            co_return;
        }
        co_await out.put(v);
    }
}

// One item per round trip: the driver puts, the echo task gets it and puts it back. Every
// get waits, so a round trip is two wake-ups through the ready queue.
void BM_queue_ping_pong(benchmark::State& state) {
    event_loop loop;
    loop.run_until_complete([](benchmark::State& st) -> coro<void> {
        sync::queue<int> ping;
        sync::queue<int> pong;
        task<> peer = coreloop::create_task(echo(ping, pong));
        std::int64_t sum = 0;
        for (auto _ : st) {
            co_await ping.put(1);
            sum += co_await pong.get();
        }
        co_await ping.put(-1);
        co_await peer;
        if (sum != st.iterations()) {
            st.SkipWithError("lost items");
        }
        st.SetItemsProcessed(st.iterations());
    }(state));
}
BENCHMARK(BM_queue_ping_pong);

coro<void> contend(sync::semaphore& s, const bool& stop) {
    while (!stop) {
        co_await s.acquire();
        s.release();
    }
}

// 100 tasks (99 workers and the driver) queue on a semaphore of one slot: each release
// wakes the next waiter and the releaser queues again behind the others (no barging), so one
// driver iteration is 100 hand-offs.
void BM_semaphore_100_waiters(benchmark::State& state) {
    event_loop loop;
    loop.run_until_complete([](benchmark::State& st) -> coro<void> {
        constexpr int waiters = 100;
        sync::semaphore s(1);
        bool stop = false;
        std::vector<task<>> workers;
        for (int i = 0; i < waiters - 1; ++i) {
            workers.push_back(coreloop::create_task(contend(s, stop)));
        }
        co_await s.acquire();
        co_await coreloop::sleep(std::chrono::seconds(0)); // the workers run and queue
        s.release();                                       // everybody is queued from now on
        for (auto _ : st) {
            co_await s.acquire();
            s.release();
        }
        stop = true;
        for (auto& w : workers) {
            co_await w;
        }
        st.SetItemsProcessed(st.iterations() * waiters);
    }(state));
}
BENCHMARK(BM_semaphore_100_waiters);

} // namespace
