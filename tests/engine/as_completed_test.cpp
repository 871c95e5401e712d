// as_completed(): both 3.13 styles (awaitables giving results, and the original tasks),
// completion order, exceptions, the overall timeout that leaves the rest untouched
// (CPython's test_tasks.py as_completed tests).
#include <coreloop/as_completed.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <coreloop/event_loop.hpp>
#include <coreloop/gather.hpp>
#include <coreloop/sleep.hpp>

#include "support/test_coros.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class AsCompleted : public test::virtual_time_test {};

using test::fail_after;
using test::test_error;
using test::value_after;

std::vector<coro<int>> three_children() {
    std::vector<coro<int>> cs;
    cs.push_back(value_after(3ms, 1));
    cs.push_back(value_after(1ms, 2));
    cs.push_back(value_after(2ms, 3));
    return cs;
}

TEST_P(AsCompleted, RangeOfAwaitablesGivesResultsInCompletionOrder) {
    run([]() -> coro<void> {
        std::vector<int> got;
        auto ac = as_completed(three_children());
        EXPECT_EQ(ac.remaining(), 3U);
        for (auto next : ac) {
            got.push_back(co_await next);
        }
        EXPECT_EQ(got, (std::vector<int>{2, 3, 1}));
        EXPECT_EQ(ac.remaining(), 0U);
        EXPECT_THROW((void)ac.next_result(), std::out_of_range);
    }());
}

TEST_P(AsCompleted, NextDoneGivesTheOriginalTasks) {
    run([]() -> coro<void> {
        std::vector<task<int>> ts{create_task(value_after(2ms, 1)),
                                  create_task(value_after(1ms, 2))};
        auto ac = as_completed(ts);
        std::vector<int> order;
        while (std::optional<task<int>> t = co_await ac.next_done()) {
            EXPECT_TRUE(t->done());
            EXPECT_TRUE(t->state() == ts[0].state() || t->state() == ts[1].state())
                    << "the very task passed in";
            order.push_back(co_await *t);
        }
        EXPECT_EQ(order, (std::vector<int>{2, 1}));
        EXPECT_EQ(ts[0].result(), 1) << "the tasks keep their results";
    }());
}

TEST_P(AsCompleted, AlreadyDoneChildrenComeFirstInInputOrder) {
    run([]() -> coro<void> {
        future<int> f1 = get_running_loop().create_future<int>();
        future<int> f2 = get_running_loop().create_future<int>();
        future<int> f3 = get_running_loop().create_future<int>();
        f3.set_result(3);
        f1.set_result(1);
        auto h = get_running_loop().call_later(1ms, [f2]() mutable { f2.set_result(2); });
        auto ac = as_completed({f2, f3, f1, f3}); // a repeat counts once, as in a set
        EXPECT_EQ(ac.remaining(), 3U);
        EXPECT_EQ(co_await ac.next_result(), 3);
        EXPECT_EQ(co_await ac.next_result(), 1);
        EXPECT_EQ(co_await ac.next_result(), 2);
    }());
}

TEST_P(AsCompleted, ChildExceptionComesOutOfItsAwaitable) {
    run([]() -> coro<void> {
        std::vector<coro<int>> cs;
        cs.push_back(value_after(2ms, 1));
        cs.push_back(fail_after(1ms));
        auto ac = as_completed(std::move(cs));
        EXPECT_THROW(co_await ac.next_result(), test_error);
        EXPECT_EQ(co_await ac.next_result(), 1);
    }());
}

TEST_P(AsCompleted, TimeoutThrowsAndLeavesTheRestUntouched) {
    run([]() -> coro<void> {
        task<int> quick = create_task(value_after(1ms, 1));
        task<int> slow = create_task(value_after(10ms, 2));
        task<int> slower = create_task(value_after(20ms, 3));
        auto ac = as_completed({quick, slow, slower}, 5ms);
        EXPECT_EQ(co_await ac.next_result(), 1);
        auto start = get_running_loop().time();
        EXPECT_THROW(co_await ac.next_result(), timeout_error);
        EXPECT_LT(get_running_loop().time() - start, 5ms);
        EXPECT_EQ(ac.remaining(), 1U);
        EXPECT_THROW(co_await ac.next_done(), timeout_error) << "every later wait times out";
        EXPECT_FALSE(co_await ac.next_done()) << "then the iteration ends";
        EXPECT_FALSE(slow.done() || slow.cancelled()) << "the rest is not cancelled";
        EXPECT_EQ(co_await slow, 2);
        EXPECT_EQ(co_await slower, 3);
    }());
}

TEST_P(AsCompleted, ChildrenDoneBeforeTheTimeoutAreStillHandedOut) {
    run([]() -> coro<void> {
        task<int> a = create_task(value_after(1ms, 1));
        task<int> b = create_task(value_after(2ms, 2));
        task<int> slow = create_task(value_after(1h, 3));
        auto ac = as_completed({a, b, slow}, 5ms);
        co_await sleep(10ms); // both finished, then the timeout passed, nobody waiting
        EXPECT_EQ((co_await ac.next_done())->state(), a.state());
        EXPECT_EQ((co_await ac.next_done())->state(), b.state());
        EXPECT_THROW(co_await ac.next_done(), timeout_error);
        slow.cancel();
        co_await gather_settled(slow);
    }());
}

TEST_P(AsCompleted, TimeoutNotReachedLeavesNoTimer) {
    run([]() -> coro<void> {
        auto start = get_running_loop().time();
        {
            auto ac = as_completed(three_children(), 1h);
            for (auto next : ac) {
                co_await next;
            }
        }
        co_await sleep(0ms);
        EXPECT_LT(get_running_loop().time() - start, 1h);
    }());
}

TEST_P(AsCompleted, EmptyInputEndsAtOnce) {
    run([]() -> coro<void> {
        auto ac = as_completed(std::vector<task<int>>{}, 1ms);
        EXPECT_EQ(ac.remaining(), 0U);
        EXPECT_FALSE(co_await ac.next_done());
    }());
}

TEST_P(AsCompleted, CancellingAWaitLosesItsSlotButNotTheChild) {
    run([]() -> coro<void> {
        task<int> child = create_task(value_after(5ms, 1));
        auto ac = as_completed({child});
        auto waiter = create_task([](as_completed_iterator<task<int>>& it) -> coro<int> {
            co_return co_await it.next_result();
        }(ac));
        co_await sleep(1ms);
        waiter.cancel();
        co_await gather_settled(waiter);
        EXPECT_TRUE(waiter.cancelled());
        EXPECT_EQ(ac.remaining(), 0U) << "asyncio: the cancelled awaitable used its slot";
        EXPECT_FALSE(child.cancelled());
        EXPECT_EQ(co_await child, 1);
    }());
}

TEST_P(AsCompleted, EagerChildrenThatFinishAtOnce) {
    loop().set_task_factory(eager_task_factory);
    run([]() -> coro<void> {
        std::vector<coro<int>> cs;
        cs.push_back([]() -> coro<int> { co_return 1; }());
        cs.push_back(value_after(1ms, 2));
        auto ac = as_completed(std::move(cs));
        std::vector<int> got;
        for (auto next : ac) {
            got.push_back(co_await next);
        }
        EXPECT_EQ(got, (std::vector<int>{1, 2}));
    }());
}

CORELOOP_ALL_BACKENDS(AsCompleted);

} // namespace
} // namespace coreloop
