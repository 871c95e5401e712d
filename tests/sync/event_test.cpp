// event: set wakes all waiters through the ready queue (a task created before set() runs
// first), clear, and cancellation before and after the wake-up (CPython's test_locks.py).
#include <coreloop/sync/event.hpp>

#include <vector>

#include <coreloop/event_loop.hpp>

#include "support/loop_test.hpp"
#include "sync/helpers.hpp"

namespace coreloop {
namespace {

class Event : public test::loop_test {};

using test::ends_cancelled;
using test::spin;

coro<void> wait_and_log(sync::event& e, std::vector<int>& log, int id) {
    co_await e.wait();
    log.push_back(id);
}

coro<void> log_only(std::vector<int>& log, int id) {
    log.push_back(id);
    co_return;
}

TEST_P(Event, WaitReturnsAtOnceWhenSet) {
    run([]() -> coro<void> {
        sync::event e;
        EXPECT_FALSE(e.is_set());
        e.set();
        EXPECT_TRUE(e.is_set());
        co_await e.wait();
        e.clear();
        EXPECT_FALSE(e.is_set());
    }());
}

TEST_P(Event, SetWakesAllWaitersInOrder) {
    run([]() -> coro<void> {
        sync::event e;
        std::vector<int> log;
        task<> a = create_task(wait_and_log(e, log, 1));
        task<> b = create_task(wait_and_log(e, log, 2));
        task<> c = create_task(wait_and_log(e, log, 3));
        co_await spin();
        EXPECT_TRUE(log.empty());
        e.set();
        EXPECT_TRUE(log.empty()); // not inline
        co_await a;
        co_await b;
        co_await c;
        EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
    }());
}

TEST_P(Event, UnstartedTaskRunsBeforeWokenWaiters) {
    // SPEC §17 item 8: wake-ups are call_soon-ordered.
    run([]() -> coro<void> {
        sync::event e;
        std::vector<int> log;
        task<> waiter = create_task(wait_and_log(e, log, 1));
        co_await spin();
        task<> fresh = create_task(log_only(log, 2));
        e.set();
        co_await waiter;
        co_await fresh;
        EXPECT_EQ(log, (std::vector<int>{2, 1}));
    }());
}

TEST_P(Event, ClearAfterSetStillReleasesWokenWaiters) {
    run([]() -> coro<void> {
        sync::event e;
        std::vector<int> log;
        task<> a = create_task(wait_and_log(e, log, 1));
        co_await spin();
        e.set();
        e.clear();
        co_await a; // asyncio: a waiter woken by set() returns even if cleared meanwhile
        EXPECT_EQ(log, (std::vector<int>{1}));
    }());
}

TEST_P(Event, CancelWhileWaiting) {
    run([]() -> coro<void> {
        sync::event e;
        std::vector<int> log;
        task<> a = create_task(wait_and_log(e, log, 1));
        task<> b = create_task(wait_and_log(e, log, 2));
        co_await spin();
        a.cancel();
        EXPECT_TRUE(co_await ends_cancelled(a));
        e.set();
        co_await b;
        EXPECT_EQ(log, (std::vector<int>{2}));
    }());
}

TEST_P(Event, CancelAfterWakeStillThrows) {
    run([]() -> coro<void> {
        sync::event e;
        std::vector<int> log;
        task<> a = create_task(wait_and_log(e, log, 1));
        co_await spin();
        e.set();
        a.cancel();
        EXPECT_TRUE(co_await ends_cancelled(a));
        EXPECT_TRUE(log.empty());
    }());
}

CORELOOP_ALL_BACKENDS(Event);

} // namespace
} // namespace coreloop
