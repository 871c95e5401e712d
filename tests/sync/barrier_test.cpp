// barrier: unique arrival indices, cycling, n_waiting, abort and reset mid-wait, and a
// cancelled waiter leaving while the barrier fills (CPython's test_locks.py BarrierTests).
#include <coreloop/sync/barrier.hpp>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include <coreloop/detail/frame_allocator.hpp>
#include <coreloop/event_loop.hpp>

#include "support/loop_test.hpp"
#include "sync/helpers.hpp"

namespace coreloop {
namespace {

class Barrier : public test::loop_test {};

using test::ends_cancelled;
using test::spin;

coro<void> wait_and_record(sync::barrier& b, std::vector<std::size_t>& indices) {
    indices.push_back(co_await b.wait());
}

coro<void> wait_expect_broken(sync::barrier& b, int& broken_count) {
    try {
        co_await b.wait();
    } catch (const sync::broken_barrier_error&) {
        ++broken_count;
    }
}

TEST_P(Barrier, PartiesAreChecked) {
    EXPECT_THROW(sync::barrier(0), std::invalid_argument);
    sync::barrier b(3);
    EXPECT_EQ(b.parties(), 3u);
    EXPECT_EQ(b.n_waiting(), 0u);
    EXPECT_FALSE(b.broken());
}

TEST_P(Barrier, IndicesAreUniqueAndItCycles) {
    run([]() -> coro<void> {
        sync::barrier b(3);
        for (int round = 0; round < 2; ++round) {
            std::vector<std::size_t> indices;
            std::vector<task<>> ts;
            for (int i = 0; i < 3; ++i) {
                ts.push_back(create_task(wait_and_record(b, indices)));
            }
            co_await spin(2);
            for (auto& t : ts) {
                co_await t;
            }
            std::sort(indices.begin(), indices.end());
            EXPECT_EQ(indices, (std::vector<std::size_t>{0, 1, 2}));
            EXPECT_EQ(b.n_waiting(), 0u);
        }
    }());
}

TEST_P(Barrier, NWaitingCountsFillingTasks) {
    run([]() -> coro<void> {
        sync::barrier b(3);
        std::vector<std::size_t> indices;
        task<> a = create_task(wait_and_record(b, indices));
        task<> c = create_task(wait_and_record(b, indices));
        co_await spin(2);
        EXPECT_EQ(b.n_waiting(), 2u);
        indices.push_back(co_await b.wait()); // the last party passes at once
        co_await a;
        co_await c;
        EXPECT_EQ(indices.size(), 3u);
    }());
}

TEST_P(Barrier, AbortBreaksWaitersAndLaterWaits) {
    run([]() -> coro<void> {
        sync::barrier b(3);
        int broken = 0;
        task<> a = create_task(wait_expect_broken(b, broken));
        task<> c = create_task(wait_expect_broken(b, broken));
        co_await spin(2);
        co_await b.abort();
        co_await a;
        co_await c;
        EXPECT_EQ(broken, 2);
        EXPECT_TRUE(b.broken());
        EXPECT_THROW(co_await b.wait(), sync::broken_barrier_error);
        co_await b.reset();
        EXPECT_FALSE(b.broken());
        EXPECT_EQ(b.n_waiting(), 0u);
    }());
}

TEST_P(Barrier, ResetMidWaitBreaksWaitersThenRefills) {
    run([]() -> coro<void> {
        sync::barrier b(2);
        int broken = 0;
        task<> a = create_task(wait_expect_broken(b, broken));
        co_await spin(2);
        EXPECT_EQ(b.n_waiting(), 1u);
        co_await b.reset(); // resetting until a leaves
        EXPECT_EQ(b.n_waiting(), 0u);
        co_await a;
        EXPECT_EQ(broken, 1);
        // Usable again after the reset.
        std::vector<std::size_t> indices;
        task<> c = create_task(wait_and_record(b, indices));
        indices.push_back(co_await b.wait());
        co_await c;
        std::sort(indices.begin(), indices.end());
        EXPECT_EQ(indices, (std::vector<std::size_t>{0, 1}));
    }());
}

TEST_P(Barrier, CancelWhileFillingLeavesTheBarrier) {
    run([]() -> coro<void> {
        sync::barrier b(2);
        std::vector<std::size_t> indices;
        task<> a = create_task(wait_and_record(b, indices));
        co_await spin(2);
        EXPECT_EQ(b.n_waiting(), 1u);
        a.cancel();
        EXPECT_TRUE(co_await ends_cancelled(a));
        EXPECT_EQ(b.n_waiting(), 0u);
        task<> c = create_task(wait_and_record(b, indices));
        indices.push_back(co_await b.wait());
        co_await c;
        std::sort(indices.begin(), indices.end());
        EXPECT_EQ(indices, (std::vector<std::size_t>{0, 1}));
    }());
}

TEST_P(Barrier, ArrivalsWaitWhileItDrains) {
    run([]() -> coro<void> {
        sync::barrier b(2);
        std::vector<std::size_t> first;
        std::vector<std::size_t> second;
        task<> a = create_task(wait_and_record(b, first));
        task<> c = create_task(wait_and_record(b, first));
        // These two arrive while the first pair drains, and form the next round.
        task<> d = create_task(wait_and_record(b, second));
        task<> e = create_task(wait_and_record(b, second));
        co_await a;
        co_await c;
        co_await d;
        co_await e;
        std::sort(first.begin(), first.end());
        std::sort(second.begin(), second.end());
        EXPECT_EQ(first, (std::vector<std::size_t>{0, 1}));
        EXPECT_EQ(second, (std::vector<std::size_t>{0, 1}));
    }());
}

TEST_P(Barrier, WaitingAllocatesNoFrame) {
    // wait() blocking on the condition, then woken by abort(): the waiting state lives in the
    // waiting frames.
    run([]() -> coro<void> {
        sync::barrier b(3);
        std::vector<std::size_t> indices;
        int broken_count = 0;
        // Two task frames, and nothing more while they wait.
        const auto before = detail::live_frames() + 2;
        task<> x = create_task(wait_and_record(b, indices));
        task<> y = create_task(wait_expect_broken(b, broken_count));
        co_await spin();
        EXPECT_EQ(detail::live_frames(), before);
        co_await spin(2);
        EXPECT_EQ(detail::live_frames(), before);
        EXPECT_EQ(b.n_waiting(), 2u);
        co_await b.abort();
        EXPECT_EQ(detail::live_frames(), before);
        co_await y;
        EXPECT_EQ(broken_count, 1);
        try {
            co_await x;
            ADD_FAILURE() << "the aborted wait returned";
        } catch (const sync::broken_barrier_error&) {
        }
        co_await b.reset();
        EXPECT_FALSE(b.broken());
        EXPECT_TRUE(indices.empty());
    }());
}

CORELOOP_ALL_BACKENDS(Barrier);

} // namespace
} // namespace coreloop
