// semaphore and bounded_semaphore: value checks, FIFO without barging, locked(), cancellation
// before and after the wake-up (a woken-then-cancelled waiter hands its slot on), the guard.
#include <coreloop/sync/semaphore.hpp>

#include <stdexcept>
#include <vector>

#include <coreloop/event_loop.hpp>

#include "support/loop_test.hpp"
#include "sync/helpers.hpp"

namespace coreloop {
namespace {

class Semaphore : public test::loop_test {};

using test::ends_cancelled;
using test::spin;

coro<void> acquire_and_log(sync::semaphore& s, std::vector<int>& log, int id) {
    co_await s.acquire();
    log.push_back(id);
}

TEST_P(Semaphore, InitialValueIsChecked) {
    EXPECT_THROW(sync::semaphore(-1), std::invalid_argument);
    EXPECT_THROW(sync::bounded_semaphore(-1), std::invalid_argument);
    sync::semaphore zero(0);
    EXPECT_TRUE(zero.locked());
}

TEST_P(Semaphore, AcquireTakesSlotsUntilLocked) {
    run([]() -> coro<void> {
        sync::semaphore s(2);
        EXPECT_FALSE(s.locked());
        co_await s.acquire();
        EXPECT_EQ(s.value(), 1);
        co_await s.acquire();
        EXPECT_TRUE(s.locked());
        s.release();
        s.release();
        EXPECT_EQ(s.value(), 2);
        s.release(); // a plain semaphore may go above its initial value
        EXPECT_EQ(s.value(), 3);
    }());
}

TEST_P(Semaphore, WaitersAreServedInFifoOrder) {
    run([]() -> coro<void> {
        sync::semaphore s(0);
        std::vector<int> log;
        std::vector<task<>> ts;
        for (int i = 1; i <= 4; ++i) {
            ts.push_back(create_task(acquire_and_log(s, log, i)));
        }
        co_await spin();
        s.release();
        s.release();
        co_await spin();
        EXPECT_EQ(log, (std::vector<int>{1, 2}));
        s.release();
        s.release();
        for (auto& t : ts) {
            co_await t;
        }
        EXPECT_EQ(log, (std::vector<int>{1, 2, 3, 4}));
        EXPECT_EQ(s.value(), 0);
    }());
}

TEST_P(Semaphore, NoBargingPastWokenWaiters) {
    run([]() -> coro<void> {
        sync::semaphore s(0);
        std::vector<int> log;
        task<> a = create_task(acquire_and_log(s, log, 1));
        co_await spin();
        s.release(); // a woken, not yet run
        EXPECT_TRUE(s.locked());
        s.release(); // a free slot, but a is still queued: a new acquire waits its turn
        co_await s.acquire();
        log.push_back(2);
        co_await a;
        EXPECT_EQ(log, (std::vector<int>{1, 2}));
    }());
}

TEST_P(Semaphore, CancelBeforeWakeTakesNothing) {
    run([]() -> coro<void> {
        sync::semaphore s(0);
        std::vector<int> log;
        task<> a = create_task(acquire_and_log(s, log, 1));
        task<> b = create_task(acquire_and_log(s, log, 2));
        co_await spin();
        a.cancel();
        EXPECT_TRUE(co_await ends_cancelled(a));
        s.release();
        co_await b;
        EXPECT_EQ(log, (std::vector<int>{2}));
        EXPECT_EQ(s.value(), 0);
    }());
}

TEST_P(Semaphore, CancelAfterWakeHandsTheSlotOn) {
    // CPython's test_acquire_cancel_after_awoken / test_acquire_hang.
    run([]() -> coro<void> {
        sync::semaphore s(0);
        std::vector<int> log;
        task<> a = create_task(acquire_and_log(s, log, 1));
        task<> b = create_task(acquire_and_log(s, log, 2));
        task<> c = create_task(acquire_and_log(s, log, 3));
        co_await spin();
        s.release();
        s.release(); // a and b woken
        a.cancel();
        EXPECT_TRUE(co_await ends_cancelled(a));
        co_await b;
        co_await c; // got a's slot
        EXPECT_EQ(log, (std::vector<int>{2, 3}));
        EXPECT_EQ(s.value(), 0);
        EXPECT_TRUE(s.locked());
    }());
}

TEST_P(Semaphore, CancelOfAllWokenLeavesValueIntact) {
    run([]() -> coro<void> {
        sync::semaphore s(0);
        std::vector<int> log;
        task<> a = create_task(acquire_and_log(s, log, 1));
        co_await spin();
        s.release();
        a.cancel();
        EXPECT_TRUE(co_await ends_cancelled(a));
        EXPECT_EQ(s.value(), 1);
        EXPECT_FALSE(s.locked());
    }());
}

TEST_P(Semaphore, BoundedRefusesOverRelease) {
    run([]() -> coro<void> {
        sync::bounded_semaphore s(1);
        EXPECT_THROW(s.release(), std::invalid_argument);
        co_await s.acquire();
        s.release();
        EXPECT_THROW(s.release(), std::invalid_argument);
        EXPECT_EQ(s.value(), 1);
    }());
}

TEST_P(Semaphore, ScopedGuardGivesTheSlotBack) {
    run([]() -> coro<void> {
        sync::bounded_semaphore s(1);
        {
            auto g = co_await s.scoped();
            EXPECT_TRUE(s.locked());
        }
        EXPECT_FALSE(s.locked());
        EXPECT_EQ(s.value(), 1);
    }());
}

CORELOOP_ALL_BACKENDS(Semaphore);

} // namespace
} // namespace coreloop
