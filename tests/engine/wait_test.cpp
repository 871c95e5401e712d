// wait(): each return_when, the timeout that cancels nothing, errors never thrown, an empty
// set refused, cancellation of the waiting task only (CPython's test_tasks.py wait tests).
#include <coreloop/wait.hpp>

#include <chrono>
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

class Wait : public test::virtual_time_test {};

using test::fail_after;
using test::test_error;
using test::value_after;

// The values of done tasks, in the order wait() listed them.
std::vector<int> values(const std::vector<task<int>>& tasks) {
    std::vector<int> out;
    for (task<int> t : tasks) {
        out.push_back(t.result());
    }
    return out;
}

TEST_P(Wait, AllCompletedListsDoneInCompletionOrder) {
    run([]() -> coro<void> {
        std::vector<task<int>> ts{create_task(value_after(3ms, 1)),
                                  create_task(value_after(1ms, 2)),
                                  create_task(value_after(2ms, 3))};
        auto [done, pending] = co_await wait(ts);
        EXPECT_EQ(values(done), (std::vector<int>{2, 3, 1}));
        EXPECT_TRUE(pending.empty());
    }());
}

TEST_P(Wait, FirstCompletedLeavesTheOthersRunning) {
    run([]() -> coro<void> {
        task<int> slow = create_task(value_after(5ms, 1));
        task<int> quick = create_task(value_after(1ms, 2));
        std::vector<task<int>> set{slow, quick};
        auto r = co_await wait(set, {.return_when = return_when::first_completed});
        EXPECT_EQ(values(r.done), std::vector<int>{2});
        EXPECT_EQ(r.pending.size(), 1U);
        if (r.pending.size() != 1U) {
            co_return;
        }
        EXPECT_EQ(r.pending[0].state(), slow.state());
        EXPECT_FALSE(slow.done());
        EXPECT_EQ(co_await slow, 1) << "a pending child is not cancelled";
    }());
}

TEST_P(Wait, FirstExceptionReturnsAtTheFirstErrorAndRetrievesIt) {
    run([]() -> coro<void> {
        task<int> slow = create_task(value_after(5ms, 1));
        task<int> failing = create_task(fail_after(2ms));
        task<int> quick = create_task(value_after(1ms, 2));
        std::vector<task<int>> set{slow, failing, quick};
        auto r = co_await wait(set, {.return_when = return_when::first_exception});
        EXPECT_EQ(r.done.size(), 2U);
        if (r.done.size() != 2U) {
            co_return;
        }
        EXPECT_EQ(r.done[0].state(), quick.state());
        EXPECT_EQ(r.done[1].state(), failing.state());
        EXPECT_EQ(r.pending.size(), 1U);
        EXPECT_FALSE(slow.done());
        co_await slow;
        // `failing` is never awaited: wait() looked at its exception, so nothing is reported.
    }());
}

TEST_P(Wait, FirstExceptionIgnoresCancelledChildrenAndWaitsForAll) {
    run([]() -> coro<void> {
        task<int> victim = create_task(value_after(1h, 1));
        task<int> a = create_task(value_after(2ms, 2));
        victim.cancel();
        std::vector<task<int>> set{victim, a};
        auto r = co_await wait(set, {.return_when = return_when::first_exception});
        EXPECT_EQ(r.done.size(), 2U);
        EXPECT_TRUE(r.pending.empty());
        EXPECT_TRUE(victim.cancelled());
    }());
}

TEST_P(Wait, ChildErrorsAreNeverThrown) {
    run([]() -> coro<void> {
        task<int> failing = create_task(fail_after(1ms));
        std::vector<task<int>> set{failing};
        auto r = co_await wait(set);
        EXPECT_EQ(r.done.size(), 1U);
        if (r.done.size() != 1U) {
            co_return;
        }
        EXPECT_NE(failing.exception(), nullptr);
    }());
}

TEST_P(Wait, TimeoutReturnsWhatIsDoneAndCancelsNothing) {
    run([]() -> coro<void> {
        task<int> quick = create_task(value_after(1ms, 1));
        task<int> slow = create_task(value_after(20ms, 2));
        auto start = get_running_loop().time();
        std::vector<task<int>> set{quick, slow};
        auto r = co_await wait(set, {.timeout = 5ms});
        auto waited = get_running_loop().time() - start;
        EXPECT_GE(waited, 5ms);
        EXPECT_LT(waited, 20ms);
        EXPECT_EQ(values(r.done), std::vector<int>{1});
        EXPECT_EQ(r.pending.size(), 1U);
        if (r.pending.size() != 1U) {
            co_return;
        }
        EXPECT_FALSE(slow.cancelled());
        EXPECT_EQ(co_await slow, 2);
    }());
}

TEST_P(Wait, TimeoutNotReachedLeavesNoTimer) {
    run([]() -> coro<void> {
        task<int> quick = create_task(value_after(1ms, 1));
        auto start = get_running_loop().time();
        std::vector<task<int>> set{quick};
        auto r = co_await wait(set, {.timeout = 1h});
        EXPECT_EQ(r.done.size(), 1U);
        co_await sleep(0ms);
        EXPECT_LT(get_running_loop().time() - start, 1h);
    }());
}

TEST_P(Wait, ZeroTimeoutReturnsOnTheNextIteration) {
    run([]() -> coro<void> {
        task<int> slow = create_task(value_after(1h, 1));
        std::vector<task<int>> set{slow};
        auto r = co_await wait(set, {.timeout = 0ms});
        EXPECT_TRUE(r.done.empty());
        EXPECT_EQ(r.pending.size(), 1U);
        slow.cancel();
        co_await gather_settled(slow);
    }());
}

TEST_P(Wait, EmptySetThrowsInvalidArgument) {
    run([]() -> coro<void> {
        std::vector<task<int>> none;
        EXPECT_THROW(co_await wait(none), std::invalid_argument);
    }());
}

TEST_P(Wait, DoneChildrenStillYieldOnce) {
    run([]() -> coro<void> {
        future<int> f = get_running_loop().create_future<int>();
        f.set_result(3);
        bool iterated = false;
        get_running_loop().call_soon([&] { iterated = true; });
        std::vector<future<int>> set{f, f};
        auto r = co_await wait(set);
        EXPECT_TRUE(iterated) << "asyncio.wait always suspends";
        EXPECT_EQ(r.done.size(), 1U) << "a set: the repeat appears once";
        EXPECT_TRUE(r.done[0].state() == f.state());
    }());
}

TEST_P(Wait, AnyTaskHandles) {
    run([]() -> coro<void> {
        task<int> a = create_task(value_after(1ms, 1));
        task<std::string> b = create_task([]() -> coro<std::string> {
            co_await sleep(2ms);
            co_return "b";
        }());
        std::vector<any_task> set{a, b};
        auto r = co_await wait(set, {.return_when = return_when::first_completed});
        EXPECT_EQ(r.done.size(), 1U);
        if (r.done.size() != 1U) {
            co_return;
        }
        EXPECT_TRUE(r.done[0] == any_task(a));
        EXPECT_EQ(co_await b, "b");
    }());
}

TEST_P(Wait, CancellingTheWaiterLeavesTheChildrenAlone) {
    run([]() -> coro<void> {
        task<int> child = create_task(value_after(5ms, 1));
        auto waiter = create_task([](task<int> c) -> coro<std::size_t> {
            std::vector<task<int>> set{c};
            auto r = co_await wait(set, {.timeout = 1h, .return_when = return_when::all_completed});
            co_return r.done.size();
        }(child));
        co_await sleep(1ms);
        EXPECT_TRUE(waiter.cancel("stop"));
        try {
            co_await waiter;
            ADD_FAILURE() << "no exception";
        } catch (const cancelled_error& e) {
            EXPECT_EQ(e.message(), "stop");
        }
        EXPECT_FALSE(child.done());
        EXPECT_EQ(co_await child, 1);
    }());
}

TEST_P(Wait, CancelAfterTheWaitEndedIsThrownAtResume) {
    run([]() -> coro<void> {
        task<int> child = create_task(value_after(1ms, 1));
        auto waiter = std::make_shared<task<>>();
        child.add_done_callback([waiter] { waiter->cancel(); });
        *waiter = create_task([](task<int> c) -> coro<void> {
            // A braced list is bound first: GCC 12 rejects one inside a co_await expression.
            auto w = wait({c});
            co_await std::move(w);
        }(child));
        co_await gather_settled(*waiter);
        EXPECT_TRUE(waiter->cancelled());
        EXPECT_EQ(child.result(), 1);
    }());
}

CORELOOP_ALL_BACKENDS(Wait);

} // namespace
} // namespace coreloop
