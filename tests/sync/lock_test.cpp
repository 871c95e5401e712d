// lock: FIFO order, no barging, cancellation before and after being woken, the races of
// CPython's test_locks.py (test_cancel_race, test_cancel_release_race,
// test_finished_waiter_cancelled), and the guard.
#include <coreloop/sync/lock.hpp>

#include <stdexcept>
#include <vector>

#include <coreloop/event_loop.hpp>

#include "support/loop_test.hpp"
#include "sync/helpers.hpp"

namespace coreloop {
namespace {

class Lock : public test::loop_test {};

using test::ends_cancelled;
using test::spin;

coro<void> lock_and_log(sync::lock& l, std::vector<int>& log, int id) {
    co_await l.acquire();
    log.push_back(id);
    l.release();
}

coro<void> acquire_only(sync::lock& l) {
    co_await l.acquire();
}

TEST_P(Lock, AcquireReleaseAndLocked) {
    run([]() -> coro<void> {
        sync::lock l;
        EXPECT_FALSE(l.locked());
        co_await l.acquire();
        EXPECT_TRUE(l.locked());
        l.release();
        EXPECT_FALSE(l.locked());
        EXPECT_THROW(l.release(), std::runtime_error);
    }());
}

TEST_P(Lock, WaitersAreServedInFifoOrder) {
    run([]() -> coro<void> {
        sync::lock l;
        std::vector<int> log;
        co_await l.acquire();
        std::vector<task<>> ts;
        for (int i = 1; i <= 3; ++i) {
            ts.push_back(create_task(lock_and_log(l, log, i)));
        }
        co_await spin();
        EXPECT_TRUE(log.empty());
        l.release();
        for (auto& t : ts) {
            co_await t;
        }
        EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
        EXPECT_FALSE(l.locked());
    }());
}

TEST_P(Lock, NewAcquireQueuesBehindWokenWaiter) {
    run([]() -> coro<void> {
        sync::lock l;
        std::vector<int> log;
        co_await l.acquire();
        task<> waiter = create_task(lock_and_log(l, log, 1));
        co_await spin();
        l.release(); // wakes the waiter, which has not run yet: the lock is free meanwhile
        EXPECT_FALSE(l.locked());
        co_await l.acquire(); // must not barge past the woken waiter
        log.push_back(2);
        l.release();
        co_await waiter;
        EXPECT_EQ(log, (std::vector<int>{1, 2}));
    }());
}

TEST_P(Lock, WakeUpGoesThroughTheReadyQueue) {
    run([]() -> coro<void> {
        sync::lock l;
        std::vector<int> log;
        co_await l.acquire();
        task<> waiter = create_task(lock_and_log(l, log, 1));
        co_await spin();
        l.release();
        EXPECT_TRUE(log.empty()); // never resumed inline by release()
        co_await spin();
        EXPECT_EQ(log, (std::vector<int>{1}));
        co_await waiter;
    }());
}

TEST_P(Lock, CancelWhileWaitingLeavesTheQueue) {
    run([]() -> coro<void> {
        sync::lock l;
        co_await l.acquire();
        task<> waiter = create_task(acquire_only(l));
        co_await spin();
        EXPECT_TRUE(waiter.cancel());
        EXPECT_TRUE(co_await ends_cancelled(waiter));
        EXPECT_TRUE(l.locked());
        l.release();
        EXPECT_FALSE(l.locked());
        co_await l.acquire(); // nobody left in the queue: no suspension needed
        l.release();
    }());
}

TEST_P(Lock, WokenThenCancelledWaiterPassesTheLockOn) {
    run([]() -> coro<void> {
        sync::lock l;
        co_await l.acquire();
        task<> a = create_task(acquire_only(l));
        co_await spin();
        task<> b = create_task(acquire_only(l));
        co_await spin();
        l.release(); // wakes a
        a.cancel();  // before a runs
        EXPECT_TRUE(co_await ends_cancelled(a));
        co_await b;
        EXPECT_TRUE(l.locked()); // b holds it: the lock was neither lost nor doubled
        l.release();
    }());
}

TEST_P(Lock, CancelRaceNeverGivesTwoHolders) {
    // CPython's test_cancel_race: the middle waiter is cancelled, the lock released.
    run([]() -> coro<void> {
        sync::lock l;
        std::vector<int> log;
        co_await l.acquire();
        task<> a = create_task(lock_and_log(l, log, 1));
        task<> b = create_task(lock_and_log(l, log, 2));
        task<> c = create_task(lock_and_log(l, log, 3));
        co_await spin();
        b.cancel();
        l.release();
        co_await a;
        EXPECT_TRUE(co_await ends_cancelled(b));
        co_await c;
        EXPECT_EQ(log, (std::vector<int>{1, 3}));
        EXPECT_FALSE(l.locked());
    }());
}

TEST_P(Lock, CancelReleaseRaceWakesTheNext) {
    // CPython's test_cancel_release_race: the first waiter is cancelled in the same step as
    // the release; the second one must get the lock.
    run([]() -> coro<void> {
        sync::lock l;
        co_await l.acquire();
        task<> a = create_task(acquire_only(l));
        task<> b = create_task(acquire_only(l));
        co_await spin();
        a.cancel();
        l.release();
        EXPECT_TRUE(co_await ends_cancelled(a));
        co_await b;
        EXPECT_TRUE(l.locked());
        l.release();
    }());
}

TEST_P(Lock, CancelOfTheOnlyWokenWaiterLeavesTheLockFree) {
    run([]() -> coro<void> {
        sync::lock l;
        co_await l.acquire();
        task<> a = create_task(acquire_only(l));
        co_await spin();
        l.release();
        a.cancel();
        EXPECT_TRUE(co_await ends_cancelled(a));
        EXPECT_FALSE(l.locked());
        co_await l.acquire();
        l.release();
    }());
}

TEST_P(Lock, ScopedGuardReleasesAtScopeEnd) {
    run([]() -> coro<void> {
        sync::lock l;
        {
            sync::guard<sync::lock> g = co_await l.scoped();
            EXPECT_TRUE(g.owns_lock());
            EXPECT_TRUE(l.locked());
            sync::guard<sync::lock> moved = std::move(g);
            EXPECT_FALSE(g.owns_lock());
            EXPECT_TRUE(l.locked());
        }
        EXPECT_FALSE(l.locked());
        auto g = co_await l.scoped();
        g.reset();
        EXPECT_FALSE(l.locked());
    }());
}

coro<void> scoped_and_record(sync::lock& l, bool& got) {
    auto g = co_await l.scoped();
    got = true;
}

TEST_P(Lock, CancelledScopedMakesNoGuard) {
    run([]() -> coro<void> {
        sync::lock l;
        bool got = false;
        co_await l.acquire();
        task<> t = create_task(scoped_and_record(l, got));
        co_await spin();
        t.cancel();
        EXPECT_TRUE(co_await ends_cancelled(t));
        EXPECT_FALSE(got);
        EXPECT_TRUE(l.locked()); // still ours: the cancelled guard released nothing
        l.release();
    }());
}

coro<void> release_after_yield(sync::lock& l) {
    co_await spin();
    l.release();
}

TEST_P(Lock, AnyTaskMayRelease) {
    run([]() -> coro<void> {
        sync::lock l;
        co_await l.acquire();
        task<> t = create_task(release_after_yield(l));
        co_await l.acquire(); // released by the other task
        EXPECT_TRUE(l.locked());
        l.release();
        co_await t;
    }());
}

CORELOOP_ALL_BACKENDS(Lock);

} // namespace
} // namespace coreloop
