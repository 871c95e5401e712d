// condition: notify order and counts (CPython's test_notify), wait_for predicate loops, the
// lock held again before any exception leaves wait, notified-then-cancelled forwarding, and
// misuse without the lock.
#include <coreloop/sync/condition.hpp>

#include <stdexcept>
#include <vector>

#include <coreloop/context.hpp>
#include <coreloop/detail/frame_allocator.hpp>
#include <coreloop/event_loop.hpp>

#include "support/loop_test.hpp"
#include "sync/helpers.hpp"

namespace coreloop {
namespace {

class Condition : public test::loop_test {};

using test::ends_cancelled;
using test::spin;

coro<void> wait_and_log(sync::condition& c, std::vector<int>& log, int id) {
    auto held = co_await c.scoped();
    co_await c.wait();
    EXPECT_TRUE(c.locked());
    log.push_back(id);
}

// Records whether the lock was held when the exception left wait().
coro<void> wait_record_lock(sync::condition& c, bool& held_on_exit) {
    auto held = co_await c.scoped();
    try {
        co_await c.wait();
    } catch (const cancelled_error&) {
        held_on_exit = c.locked();
        throw;
    }
}

TEST_P(Condition, NotifyWakesInFifoOrderAndCounts) {
    // CPython's test_notify: one, then one plus "all".
    run([]() -> coro<void> {
        sync::condition c;
        std::vector<int> log;
        task<> a = create_task(wait_and_log(c, log, 1));
        task<> b = create_task(wait_and_log(c, log, 2));
        task<> d = create_task(wait_and_log(c, log, 3));
        co_await spin();
        EXPECT_TRUE(log.empty());
        {
            auto held = co_await c.scoped();
            c.notify(1);
        }
        co_await spin();
        EXPECT_EQ(log, (std::vector<int>{1}));
        {
            auto held = co_await c.scoped();
            c.notify(1);
            c.notify(2048);
        }
        co_await spin();
        EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
        co_await a;
        co_await b;
        co_await d;
    }());
}

TEST_P(Condition, NotifyAllWakesEveryone) {
    run([]() -> coro<void> {
        sync::condition c;
        std::vector<int> log;
        std::vector<task<>> ts;
        for (int i = 1; i <= 3; ++i) {
            ts.push_back(create_task(wait_and_log(c, log, i)));
        }
        co_await spin();
        co_await c.acquire();
        c.notify_all();
        c.release();
        for (auto& t : ts) {
            co_await t;
        }
        EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
    }());
}

TEST_P(Condition, MisuseWithoutTheLockThrows) {
    run([]() -> coro<void> {
        sync::condition c;
        EXPECT_THROW(c.notify(), std::runtime_error);
        EXPECT_THROW(c.notify_all(), std::runtime_error);
        EXPECT_THROW(co_await c.wait(), std::runtime_error);
        EXPECT_FALSE(c.locked());
    }());
}

coro<bool> wait_for_value(sync::condition& c, int& value, int wanted, int& checks) {
    auto held = co_await c.scoped();
    bool r = co_await c.wait_for([&] {
        ++checks;
        return value == wanted;
    });
    co_return r;
}

TEST_P(Condition, WaitForLoopsUntilThePredicateHolds) {
    run([]() -> coro<void> {
        sync::condition c;
        int value = 0;
        int checks = 0;
        task<bool> t = create_task(wait_for_value(c, value, 2, checks));
        co_await spin();
        EXPECT_EQ(checks, 1);
        for (int v = 1; v <= 2; ++v) {
            {
                auto held = co_await c.scoped();
                value = v;
                c.notify();
            }
            co_await spin(2);
        }
        EXPECT_TRUE(co_await t);
        EXPECT_EQ(checks, 3); // initial check, then once per notification
    }());
}

TEST_P(Condition, OverAGivenLock) {
    run([]() -> coro<void> {
        sync::lock l;
        sync::condition c(l);
        co_await l.acquire();
        EXPECT_TRUE(c.locked());
        c.notify(); // holding the shared lock is enough
        c.release();
        EXPECT_FALSE(l.locked());
    }());
}

TEST_P(Condition, CancelledWaitReacquiresTheLockFirst) {
    run([]() -> coro<void> {
        sync::condition c;
        bool held_on_exit = false;
        task<> t = create_task(wait_record_lock(c, held_on_exit));
        co_await spin();
        co_await c.acquire(); // take the lock so the cancelled waiter has to wait for it
        t.cancel();
        co_await spin(3);
        EXPECT_FALSE(t.done()); // still re-acquiring
        c.release();
        EXPECT_TRUE(co_await ends_cancelled(t));
        EXPECT_TRUE(held_on_exit);
        EXPECT_FALSE(c.locked()); // and its guard released it
    }());
}

TEST_P(Condition, CancelDuringReacquireIsDeliveredAfterTheLock) {
    run([]() -> coro<void> {
        sync::condition c;
        bool held_on_exit = false;
        task<> t = create_task(wait_record_lock(c, held_on_exit));
        co_await spin();
        co_await c.acquire();
        c.notify();
        c.release();          // t is woken, then tries to re-acquire
        co_await c.acquire(); // t has not run yet, so the lock is free: we take it first
        co_await spin(2);     // t now waits for the lock
        t.cancel();           // cancelled while re-acquiring
        co_await spin(2);
        EXPECT_FALSE(t.done());
        c.release();
        EXPECT_TRUE(co_await ends_cancelled(t));
        EXPECT_TRUE(held_on_exit);
    }());
}

TEST_P(Condition, NotifiedThenCancelledForwardsTheNotification) {
    run([]() -> coro<void> {
        sync::condition c;
        std::vector<int> log;
        task<> a = create_task(wait_and_log(c, log, 1));
        task<> b = create_task(wait_and_log(c, log, 2));
        co_await spin();
        co_await c.acquire();
        c.notify(1); // a is notified...
        a.cancel();  // ...then cancelled before it runs
        c.release();
        EXPECT_TRUE(co_await ends_cancelled(a));
        co_await b; // b got the forwarded notification
        EXPECT_EQ(log, (std::vector<int>{2}));
    }());
}

TEST_P(Condition, CancelWhileWaitingDoesNotStealANotification) {
    run([]() -> coro<void> {
        sync::condition c;
        std::vector<int> log;
        task<> a = create_task(wait_and_log(c, log, 1));
        task<> b = create_task(wait_and_log(c, log, 2));
        co_await spin();
        a.cancel();
        EXPECT_TRUE(co_await ends_cancelled(a));
        co_await c.acquire();
        c.notify(1);
        c.release();
        co_await b;
        EXPECT_EQ(log, (std::vector<int>{2}));
    }());
}

TEST_P(Condition, WaitingAllocatesNoFrame) {
    // Every stage of wait() and wait_for() (notified, re-acquiring a held lock, a predicate
    // still false, cancelled while re-acquiring) keeps its state in the waiting frame.
    run([]() -> coro<void> {
        sync::condition c;
        std::vector<int> log;
        int value = 0;
        int checks = 0;
        // Three task frames, and nothing more while they wait.
        const auto before = detail::live_frames() + 3;
        task<> a = create_task(wait_and_log(c, log, 1));
        task<bool> b = create_task(wait_for_value(c, value, 2, checks));
        task<> d = create_task(wait_and_log(c, log, 3));
        co_await spin(); // all three wait now
        EXPECT_EQ(detail::live_frames(), before);
        co_await spin(2);
        EXPECT_EQ(detail::live_frames(), before);
        co_await c.acquire();
        value = 1;
        c.notify_all(); // all woken while the lock is held: they queue for it
        co_await spin(2);
        EXPECT_EQ(detail::live_frames(), before);
        EXPECT_TRUE(log.empty());
        d.cancel(); // cancelled while queued for the lock: it still re-takes it first
        c.release();
        co_await spin(4); // a logs; b's predicate is still false: it waits anew
        EXPECT_EQ(detail::live_frames(), before);
        EXPECT_EQ(log, (std::vector<int>{1}));
        EXPECT_FALSE(b.done());
        EXPECT_TRUE(co_await ends_cancelled(d));
        co_await c.acquire();
        value = 2;
        c.notify(1);
        c.release();
        EXPECT_TRUE(co_await b);
        co_await a;
    }());
}

// Sets a context variable, then waits for `ready`, recording what the predicate sees.
coro<void> wait_for_in_context(
        sync::condition& c, context_var<int>& var, bool& ready, bool& saw_task, int& seen) {
    var.set(7);
    auto held = co_await c.scoped();
    const any_task self = current_task();
    co_await c.wait_for([&] {
        saw_task = current_task() == self;
        seen = var.get();
        return ready;
    });
}

TEST_P(Condition, WaitForRechecksInTheTaskAndItsContext) {
    // After a wake-up the predicate is re-checked as asyncio does, inside the waiting task:
    // current_task() and context variables are the task's own.
    run([]() -> coro<void> {
        sync::condition c;
        context_var<int> var("var", 0);
        bool ready = false;
        bool saw_task = false;
        int seen = -1;
        task<> waiter = create_task(wait_for_in_context(c, var, ready, saw_task, seen));
        co_await spin();
        EXPECT_EQ(seen, 7);
        co_await c.acquire();
        ready = true;
        c.notify();
        c.release();
        co_await waiter;
        EXPECT_TRUE(saw_task);
        EXPECT_EQ(seen, 7);
        EXPECT_EQ(var.get(), 0);
    }());
}

CORELOOP_ALL_BACKENDS(Condition);

} // namespace
} // namespace coreloop
