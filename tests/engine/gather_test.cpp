// gather / gather_settled: argument order, mixed children, duplicates, the first error,
// cancelled children, cancelling the gather (CPython's test_tasks.py gather tests and
// bpo-32684, carried over).
#include <coreloop/gather.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>

#include "support/test_coros.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class Gather : public test::virtual_time_test {};

using test::fail_after;
using test::test_error;
using test::value_after;

coro<void> nothing_after(std::chrono::milliseconds delay, std::vector<int>& log, int id) {
    co_await sleep(delay);
    log.push_back(id);
}

// Sleeps; on cancellation records it, sleeps `extra` more and returns `value` (absorbing
// the cancel, as a child may).
coro<int> absorb_cancel(std::chrono::milliseconds extra, int value, std::vector<int>& log) {
    try {
        co_await sleep(1h);
    } catch (const cancelled_error&) {
        log.push_back(value);
    }
    co_await sleep(extra);
    co_return value;
}

// --- results -----------------------------------------------------------------------------------

TEST_P(Gather, ResultsComeInArgumentOrder) {
    run([]() -> coro<void> {
        auto [a, b, c] =
                co_await gather(value_after(3ms, 1), value_after(1ms, 2), value_after(2ms, 3));
        EXPECT_EQ(a, 1);
        EXPECT_EQ(b, 2);
        EXPECT_EQ(c, 3);
    }());
}

TEST_P(Gather, MixOfCoroTaskAndFuture) {
    run([]() -> coro<void> {
        task<std::string> t = create_task([]() -> coro<std::string> {
            co_await sleep(1ms);
            co_return "task";
        }());
        future<double> f = get_running_loop().create_future<double>();
        auto h = get_running_loop().call_later(2ms, [f]() mutable { f.set_result(2.5); });
        std::tuple<int, std::string, double> r = co_await gather(value_after(0ms, 7), t, f);
        EXPECT_EQ(r, std::make_tuple(7, std::string("task"), 2.5));
        EXPECT_EQ(t.result(), "task") << "a task passed in keeps its result";
    }());
}

TEST_P(Gather, VoidChildrenGiveMonostate) {
    run([]() -> coro<void> {
        std::vector<int> log;
        auto r = co_await gather(nothing_after(2ms, log, 1), value_after(0ms, 5),
                                 nothing_after(1ms, log, 2));
        static_assert(std::is_same_v<decltype(r), std::tuple<std::monostate, int, std::monostate>>);
        EXPECT_EQ(std::get<1>(r), 5);
        EXPECT_EQ(log, (std::vector<int>{2, 1}));
    }());
}

TEST_P(Gather, RangeOfCorosGivesAVectorInOrder) {
    run([]() -> coro<void> {
        std::vector<coro<int>> children;
        for (int i = 0; i < 5; ++i) {
            children.push_back(value_after(std::chrono::milliseconds(5 - i), i));
        }
        std::vector<int> r = co_await gather(children);
        EXPECT_EQ(r, (std::vector<int>{0, 1, 2, 3, 4}));
    }());
}

TEST_P(Gather, RangeOfVoidTasks) {
    run([]() -> coro<void> {
        std::vector<int> log;
        std::vector<task<>> children;
        children.push_back(create_task(nothing_after(2ms, log, 1)));
        children.push_back(create_task(nothing_after(1ms, log, 2)));
        std::vector<std::monostate> r = co_await gather(children);
        EXPECT_EQ(r.size(), 2U);
        EXPECT_EQ(log, (std::vector<int>{2, 1}));
    }());
}

TEST_P(Gather, MoveOnlyResultsFromCoros) {
    run([]() -> coro<void> {
        auto make = [](int v) -> coro<std::unique_ptr<int>> {
            co_await sleep(0ms);
            co_return std::make_unique<int>(v);
        };
        auto [a, b] = co_await gather(make(1), make(2));
        EXPECT_EQ(*a + *b, 3);
    }());
}

TEST_P(Gather, EmptyInputIsDoneAtOnce) {
    run([]() -> coro<void> {
        bool iterated = false;
        get_running_loop().call_soon([&] { iterated = true; });
        std::vector<task<int>> none;
        std::vector<int> r = co_await gather(none);
        EXPECT_TRUE(r.empty());
        std::tuple<> t = co_await gather();
        (void)t;
        std::vector<outcome<int>> s = co_await gather_settled(none);
        EXPECT_TRUE(s.empty());
        EXPECT_FALSE(iterated) << "an empty gather does not suspend";
    }());
}

TEST_P(Gather, SameTaskTwiceIsAwaitedOnce) {
    run([]() -> coro<void> {
        task<int> t = create_task(value_after(1ms, 4));
        future<int> f = get_running_loop().create_future<int>();
        f.set_result(9);
        auto [a, b, c, d] = co_await gather(t, f, t, f);
        EXPECT_EQ(a + c, 8);
        EXPECT_EQ(b + d, 18);
        std::vector<task<int>> many(40, t); // more than the quadratic check handles
        many.push_back(create_task(value_after(2ms, 1)));
        std::vector<int> r = co_await gather(many);
        EXPECT_EQ(r.size(), 41U);
        EXPECT_EQ(r.front(), 4);
        EXPECT_EQ(r.back(), 1);
    }());
}

TEST_P(Gather, EagerChildrenThatFinishAtOnce) {
    loop().set_task_factory(eager_task_factory);
    run([]() -> coro<void> {
        auto at_once = [](int v) -> coro<int> { co_return v; };
        auto [a, b] = co_await gather(at_once(1), at_once(2));
        EXPECT_EQ(a + b, 3);
        try {
            co_await gather(at_once(1), []() -> coro<int> { throw test_error("eager"); }());
            ADD_FAILURE() << "no exception";
        } catch (const test_error& e) {
            EXPECT_STREQ(e.what(), "eager");
        }
    }());
}

// --- a child fails -----------------------------------------------------------------------------

TEST_P(Gather, FirstErrorPropagatesAtOnceAndSiblingsKeepRunning) {
    run([]() -> coro<void> {
        task<int> slow = create_task(value_after(10ms, 1));
        auto start = get_running_loop().time();
        try {
            co_await gather(slow, fail_after(1ms, "first"));
            ADD_FAILURE() << "no exception";
        } catch (const test_error& e) {
            EXPECT_STREQ(e.what(), "first");
        }
        EXPECT_LT(get_running_loop().time() - start, 10ms) << "the error came at once";
        EXPECT_FALSE(slow.done());
        EXPECT_EQ(co_await slow, 1) << "the sibling was not cancelled";
    }());
}

TEST_P(Gather, LaterSiblingErrorsAreMarkedRetrieved) {
    run([]() -> coro<void> {
        task<int> second = create_task(fail_after(2ms, "second"));
        try {
            co_await gather(fail_after(1ms, "first"), second, fail_after(3ms, "third"));
            ADD_FAILURE() << "no exception";
        } catch (const test_error& e) {
            EXPECT_STREQ(e.what(), "first");
        }
        co_await sleep(5ms); // both siblings fail; teardown checks nothing was reported
        EXPECT_TRUE(second.done());
    }());
    EXPECT_TRUE(reports.empty());
}

TEST_P(Gather, CancelledChildRaisesCancelledErrorInTheOuter) {
    run([]() -> coro<void> {
        task<int> victim = create_task(value_after(1h, 1));
        task<int> other = create_task(value_after(5ms, 2));
        auto h =
                get_running_loop().call_later(1ms, [victim]() mutable { victim.cancel("victim"); });
        try {
            co_await gather(victim, other);
            ADD_FAILURE() << "no exception";
        } catch (const cancelled_error& e) {
            EXPECT_EQ(e.message(), "victim");
        }
        EXPECT_EQ(current_task().cancelling(), 0U) << "the outer task was not cancelled";
        EXPECT_FALSE(other.done()) << "the sibling was not cancelled";
        EXPECT_EQ(co_await other, 2);
    }());
}

// --- the gather is cancelled -------------------------------------------------------------------

TEST_P(Gather, CancellingTheOuterCancelsEveryChild) {
    run([]() -> coro<void> {
        task<int> a = create_task(value_after(1h, 1));
        task<int> b = create_task(value_after(1h, 2));
        task<int> done = create_task(value_after(0ms, 3));
        task<std::tuple<int, int, int>> outer = create_task(gather(a, b, done));
        co_await sleep(1ms);
        EXPECT_TRUE(done.done());
        EXPECT_TRUE(outer.cancel("stop"));
        try {
            co_await outer;
            ADD_FAILURE() << "no exception";
        } catch (const cancelled_error& e) {
            EXPECT_EQ(e.message(), "stop");
        }
        EXPECT_TRUE(outer.cancelled());
        EXPECT_TRUE(a.cancelled());
        EXPECT_TRUE(b.cancelled());
        EXPECT_EQ(done.result(), 3);
    }());
}

TEST_P(Gather, CancellingTheOuterCancelsFuturesAndNestedGathers) {
    run([]() -> coro<void> {
        future<int> f = get_running_loop().create_future<int>();
        task<int> leaf = create_task(value_after(1h, 1));
        auto inner = [](task<int> l) -> coro<int> {
            auto [x, y] = co_await gather(l, value_after(1h, 2));
            co_return x + y;
        };
        task<std::tuple<int, int>> outer = create_task(gather(f, inner(leaf)));
        co_await sleep(1ms);
        outer.cancel();
        auto r = co_await gather_settled(outer);
        co_await sleep(1ms); // the inner gather's task ends cancelled too
        EXPECT_TRUE(outer.cancelled());
        EXPECT_TRUE(std::get<0>(r).has_exception());
        EXPECT_TRUE(f.cancelled());
        EXPECT_TRUE(leaf.cancelled());
    }());
}

TEST_P(Gather, OuterCancelEndsAtTheFirstChildEndingCancelled) {
    run([]() -> coro<void> {
        std::vector<int> log;
        task<int> absorbing = create_task(absorb_cancel(5ms, 1, log));
        task<int> plain = create_task(value_after(1h, 2));
        task<std::tuple<int, int>> outer = create_task(gather(absorbing, plain));
        co_await sleep(1ms);
        outer.cancel();
        co_await gather_settled(outer);
        EXPECT_TRUE(outer.cancelled());
        EXPECT_TRUE(plain.cancelled());
        EXPECT_FALSE(absorbing.done()) << "asyncio: with return_exceptions=False the gather "
                                          "ends with the first cancelled child";
        EXPECT_EQ(co_await absorbing, 1);
    }());
}

TEST_P(Gather, OuterCancelledWhileChildrenAbsorbItStillEndsCancelled) {
    run([]() -> coro<void> {
        std::vector<int> log;
        task<std::tuple<int, int>> outer =
                create_task(gather(absorb_cancel(1ms, 1, log), absorb_cancel(2ms, 2, log)));
        co_await sleep(1ms);
        outer.cancel();
        co_await gather_settled(outer);
        EXPECT_TRUE(outer.cancelled()) << "bpo-32684: the cancel is not lost";
        EXPECT_EQ(log, (std::vector<int>{1, 2}));
    }());
}

TEST_P(Gather, CancelAfterEveryChildIsDoneIsThrownAtResume) {
    // test_cancel_gather_1, seen from a task awaiting the gather: the children are done and
    // the gather decided, so no child is cancelled; the task is, at its next resumption.
    run([]() -> coro<void> {
        std::vector<int> log;
        task<> child = create_task(nothing_after(1ms, log, 1));
        auto outer = std::make_shared<task<>>();
        bool cancel_result = false;
        // Runs in the iteration after the child ends, before the awaiting task resumes.
        child.add_done_callback([outer, &cancel_result] { cancel_result = outer->cancel(); });
        *outer = create_task([](task<> c, std::vector<int>& l) -> coro<void> {
            co_await gather(c);
            l.push_back(99); // not reached: the cancel is thrown at the gather's co_await
        }(child, log));
        co_await gather_settled(*outer);
        EXPECT_TRUE(cancel_result);
        EXPECT_TRUE(outer->cancelled());
        EXPECT_FALSE(child.cancelled());
        EXPECT_EQ(log, (std::vector<int>{1}));
    }());
}

TEST_P(Gather, CancelPendingWhenTheGatherSuspendsCancelsTheChildren) {
    run([]() -> coro<void> {
        std::vector<int> log;
        task<> t = create_task([](std::vector<int>& l) -> coro<void> {
            current_task().cancel(); // delivered at the next suspension: the gather's
            co_await gather(nothing_after(0ms, l, 1));
        }(log));
        co_await gather_settled(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(log.empty()) << "the child was cancelled before its first step";
    }());
}

// --- gather_settled ------------------------------------------------------------------------------

TEST_P(Gather, SettledCollectsValuesErrorsAndCancellations) {
    run([]() -> coro<void> {
        std::vector<int> log;
        task<int> victim = create_task(value_after(1h, 3));
        auto h = get_running_loop().call_later(1ms, [victim]() mutable { victim.cancel("gone"); });
        auto [a, b, c, d] = co_await gather_settled(value_after(2ms, 1), fail_after(1ms, "bad"),
                                                    victim, nothing_after(0ms, log, 0));
        EXPECT_EQ(a.value(), 1);
        EXPECT_TRUE(b.has_exception());
        if (!b.has_exception()) {
            co_return;
        }
        EXPECT_THROW(std::rethrow_exception(b.exception()), test_error);
        EXPECT_TRUE(c.has_exception());
        if (!c.has_exception()) {
            co_return;
        }
        try {
            std::rethrow_exception(c.exception());
        } catch (const cancelled_error& e) {
            EXPECT_EQ(e.message(), "gone");
        }
        EXPECT_TRUE(d.has_value());
        EXPECT_EQ(current_task().cancelling(), 0U);
    }());
}

TEST_P(Gather, SettledRangeKeepsOrder) {
    run([]() -> coro<void> {
        std::vector<coro<int>> children;
        children.push_back(fail_after(2ms, "x"));
        children.push_back(value_after(1ms, 5));
        std::vector<outcome<int>> r = co_await gather_settled(std::move(children));
        EXPECT_EQ(r.size(), 2U);
        if (r.size() != 2U) {
            co_return;
        }
        EXPECT_TRUE(r[0].has_exception());
        EXPECT_EQ(r[1].value(), 5);
    }());
}

TEST_P(Gather, SettledOuterCancelledEndsCancelledAfterAllChildren) {
    run([]() -> coro<void> {
        std::vector<int> log;
        task<int> quick = create_task(absorb_cancel(1ms, 1, log));
        task<int> slow = create_task(absorb_cancel(4ms, 2, log));
        task<int> plain = create_task(value_after(1h, 3));
        auto outer = create_task(gather_settled(quick, slow, plain));
        co_await sleep(1ms);
        outer.cancel("outer");
        try {
            co_await outer;
            ADD_FAILURE() << "no exception";
        } catch (const cancelled_error& e) {
            EXPECT_EQ(e.message(), "outer");
        }
        EXPECT_TRUE(outer.cancelled());
        EXPECT_TRUE(quick.done() && slow.done() && plain.done())
                << "gather_settled waits for every child before ending cancelled";
        EXPECT_TRUE(plain.cancelled());
        EXPECT_EQ(slow.result(), 2);
    }());
}

TEST_P(Gather, SettledOuterCancelOfFuturesEndsCancelledAtOnce) {
    run([]() -> coro<void> {
        future<int> f1 = get_running_loop().create_future<int>();
        future<int> f2 = get_running_loop().create_future<int>();
        auto outer = create_task(gather_settled(f1, f2));
        co_await sleep(0ms);
        EXPECT_TRUE(outer.cancel("now"));
        EXPECT_TRUE(f1.cancelled() && f2.cancelled()) << "futures are cancelled in cancel()";
        co_await gather_settled(outer);
        EXPECT_TRUE(outer.cancelled());
    }());
}

CORELOOP_ALL_BACKENDS(Gather);

} // namespace
} // namespace coreloop
