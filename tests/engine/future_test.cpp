// future<T>: the state machine, done callbacks through the ready queue, awaiting, unretrieved
// exceptions and cancellation (CPython's test_futures.py, carried over).
#include <coreloop/future.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class Future : public test::loop_test {
protected:
    // Runs the loop for one iteration (what is ready now, and nothing it schedules).
    void run_one_iteration() {
        loop().stop();
        loop().run_forever();
    }
};

struct test_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// --- state machine -------------------------------------------------------------------------

TEST_P(Future, NewFutureIsPending) {
    future<int> f = loop().create_future<int>();
    EXPECT_TRUE(f.valid());
    EXPECT_FALSE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(&f.get_loop(), &loop());
}

TEST_P(Future, DefaultFutureIsNotValid) {
    future<int> f;
    EXPECT_FALSE(f.valid());
}

TEST_P(Future, ResultOfPendingFutureThrowsInvalidState) {
    future<int> f = loop().create_future<int>();
    EXPECT_THROW(f.result(), invalid_state_error);
    EXPECT_THROW(f.exception(), invalid_state_error);
}

TEST_P(Future, SetResult) {
    future<int> f = loop().create_future<int>();
    f.set_result(5);
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.result(), 5);
    EXPECT_EQ(f.exception(), nullptr);
}

TEST_P(Future, VoidFuture) {
    future<> f = loop().create_future();
    EXPECT_THROW(f.result(), invalid_state_error);
    f.set_result();
    EXPECT_TRUE(f.done());
    EXPECT_NO_THROW(f.result());
}

TEST_P(Future, SetResultTwiceThrowsInvalidState) {
    future<int> f = loop().create_future<int>();
    f.set_result(1);
    EXPECT_THROW(f.set_result(2), invalid_state_error);
    EXPECT_THROW(f.set_exception(test_error("late")), invalid_state_error);
    EXPECT_EQ(f.result(), 1);
}

TEST_P(Future, SetExceptionStoresIt) {
    future<int> f = loop().create_future<int>();
    f.set_exception(test_error("bad"));
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_THROW(f.result(), test_error);
    std::exception_ptr e = f.exception();
    ASSERT_NE(e, nullptr);
    EXPECT_THROW(std::rethrow_exception(e), test_error);
    EXPECT_THROW(f.set_result(3), invalid_state_error);
}

TEST_P(Future, SetNullExceptionIsRejected) {
    future<int> f = loop().create_future<int>();
    EXPECT_THROW(f.set_exception(std::exception_ptr()), std::invalid_argument);
    EXPECT_FALSE(f.done());
}

TEST_P(Future, CancelWithMessage) {
    future<int> f = loop().create_future<int>();
    EXPECT_TRUE(f.cancel("no longer needed"));
    EXPECT_TRUE(f.done());
    EXPECT_TRUE(f.cancelled());
    try {
        f.result();
        ADD_FAILURE() << "result() of a cancelled future returned";
    } catch (const cancelled_error& e) {
        EXPECT_EQ(e.message(), "no longer needed");
    }
    EXPECT_THROW(f.exception(), cancelled_error);
    EXPECT_FALSE(f.cancel("again"));
    EXPECT_THROW(f.set_result(1), invalid_state_error);
}

TEST_P(Future, CancelAfterDoneReturnsFalse) {
    future<int> f = loop().create_future<int>();
    f.set_result(1);
    EXPECT_FALSE(f.cancel());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.result(), 1);
}

TEST_P(Future, CopiesShareTheState) {
    future<int> f = loop().create_future<int>();
    future<int> g = f;
    g.set_result(9);
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.result(), 9);
    EXPECT_EQ(f.state(), g.state());
}

TEST_P(Future, EnsureFutureOfAFutureIsTheSameFuture) {
    future<int> f = loop().create_future<int>();
    future<int> g = ensure_future(f);
    EXPECT_EQ(f.state(), g.state());
    f.cancel();
}

// --- done callbacks ----------------------------------------------------------------------

TEST_P(Future, DoneCallbacksRunThroughTheReadyQueueInOrder) {
    future<int> f = loop().create_future<int>();
    std::vector<int> order;
    f.add_done_callback([&order](future<int>& g) { order.push_back(g.result()); });
    f.add_done_callback([&order] { order.push_back(-1); });
    f.add_done_callback([&order](future<int>& g) { order.push_back(g.result() * 10); });
    f.set_result(3);
    EXPECT_TRUE(order.empty()) << "done callbacks ran inline in set_result";
    run_one_iteration();
    EXPECT_EQ(order, (std::vector<int>{3, -1, 30}));
}

TEST_P(Future, DoneCallbackReceivesTheFuture) {
    future<int> f = loop().create_future<int>();
    const void* seen = nullptr;
    f.add_done_callback([&seen](future<int>& g) { seen = g.state(); });
    f.set_result(1);
    run_one_iteration();
    EXPECT_EQ(seen, f.state());
}

TEST_P(Future, DoneCallbackOnDoneFutureIsScheduledNotInline) {
    future<int> f = loop().create_future<int>();
    f.set_result(1);
    bool ran = false;
    f.add_done_callback([&ran] { ran = true; });
    EXPECT_FALSE(ran);
    run_one_iteration();
    EXPECT_TRUE(ran);
}

TEST_P(Future, DoneCallbacksQueueBehindCallbacksAlreadyScheduled) {
    future<int> f = loop().create_future<int>();
    std::vector<std::string> order;
    f.add_done_callback([&order] { order.emplace_back("done"); });
    loop().call_soon([&order] { order.emplace_back("soon1"); });
    f.set_result(1);
    loop().call_soon([&order] { order.emplace_back("soon2"); });
    run_one_iteration();
    EXPECT_EQ(order, (std::vector<std::string>{"soon1", "done", "soon2"}));
}

TEST_P(Future, DoneCallbacksRunOnCancelAndOnException) {
    future<int> a = loop().create_future<int>();
    future<int> b = loop().create_future<int>();
    int calls = 0;
    a.add_done_callback([&calls](future<int>& g) {
        EXPECT_TRUE(g.cancelled());
        ++calls;
    });
    b.add_done_callback([&calls](future<int>& g) {
        EXPECT_NE(g.exception(), nullptr);
        ++calls;
    });
    a.cancel();
    b.set_exception(test_error("x"));
    run_one_iteration();
    EXPECT_EQ(calls, 2);
}

TEST_P(Future, RemoveDoneCallbackReturnsOneThenZero) {
    future<int> f = loop().create_future<int>();
    bool removed_ran = false;
    bool kept_ran = false;
    callback_id id = f.add_done_callback([&removed_ran] { removed_ran = true; });
    f.add_done_callback([&kept_ran] { kept_ran = true; });
    EXPECT_EQ(f.remove_done_callback(id), 1U);
    EXPECT_EQ(f.remove_done_callback(id), 0U);
    f.set_result(1);
    run_one_iteration();
    EXPECT_FALSE(removed_ran);
    EXPECT_TRUE(kept_ran);
}

TEST_P(Future, RemoveDoneCallbackAfterCompletionRemovesNothing) {
    future<int> f = loop().create_future<int>();
    bool ran = false;
    callback_id id = f.add_done_callback([&ran] { ran = true; });
    f.set_result(1);
    EXPECT_EQ(f.remove_done_callback(id), 0U); // already scheduled, as in asyncio
    run_one_iteration();
    EXPECT_TRUE(ran);
}

TEST_P(Future, ThrowingDoneCallbackIsReported) {
    future<int> f = loop().create_future<int>();
    bool second_ran = false;
    f.add_done_callback([] { throw test_error("cb failed"); });
    f.add_done_callback([&second_ran] { second_ran = true; });
    f.set_result(1);
    run_one_iteration();
    EXPECT_TRUE(second_ran);
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].message, "Exception in callback");
    reports.clear();
}

TEST_P(Future, PendingCallbacksAreFreedWithAnAbandonedFuture) {
    auto resource = std::make_shared<int>(1);
    {
        future<int> f = loop().create_future<int>();
        f.add_done_callback([resource] {});
        EXPECT_EQ(resource.use_count(), 2);
    }
    EXPECT_EQ(resource.use_count(), 1);
}

// --- awaiting -------------------------------------------------------------------------------

coro<int> await_int(future<int> f) {
    co_return co_await f;
}

TEST_P(Future, AwaitedFromTwoTasks) {
    run([this]() -> coro<void> {
        future<int> f = loop().create_future<int>();
        task<int> a = create_task(await_int(f));
        task<int> b = create_task(await_int(f));
        co_await sleep(0s);
        EXPECT_FALSE(a.done());
        EXPECT_FALSE(b.done());
        f.set_result(11);
        EXPECT_EQ(co_await a, 11);
        EXPECT_EQ(co_await b, 11);
    }());
}

TEST_P(Future, AwaitingADoneFutureDoesNotSuspend) {
    run([this]() -> coro<void> {
        future<int> f = loop().create_future<int>();
        f.set_result(4);
        bool callback_ran = false;
        loop().call_soon([&callback_ran] { callback_ran = true; });
        EXPECT_EQ(co_await f, 4);
        EXPECT_FALSE(callback_ran);
    }());
}

TEST_P(Future, AwaitResumesAfterSetResultFromACallback) {
    run([this]() -> coro<void> {
        future<std::string> f = loop().create_future<std::string>();
        loop().call_later(1ms, [f]() mutable { f.set_result("later"); });
        EXPECT_EQ(co_await f, "later");
    }());
}

TEST_P(Future, AwaitRethrowsTheException) {
    run([this]() -> coro<void> {
        future<int> f = loop().create_future<int>();
        loop().call_soon([f]() mutable { f.set_exception(test_error("remote")); });
        EXPECT_THROW(co_await f, test_error);
    }());
    // Awaiting retrieved the exception: nothing is reported (teardown checks).
}

TEST_P(Future, LvalueAwaitGivesAReference) {
    run([this]() -> coro<void> {
        future<std::string> f = loop().create_future<std::string>();
        loop().call_soon([f]() mutable { f.set_result("shared"); });
        std::string& r = co_await f;
        EXPECT_EQ(r, "shared");
        EXPECT_EQ(&r, &f.result());
        r = "changed";
        EXPECT_EQ(f.result(), "changed");
    }());
}

TEST_P(Future, RvalueAwaitMovesTheValueOut) {
    run([this]() -> coro<void> {
        future<std::unique_ptr<int>> f = loop().create_future<std::unique_ptr<int>>();
        future<std::unique_ptr<int>> other = f;
        loop().call_soon([f]() mutable { f.set_result(std::make_unique<int>(8)); });
        std::unique_ptr<int> p = co_await std::move(f);
        EXPECT_NE(p, nullptr);
        EXPECT_EQ(p ? *p : 0, 8);
        EXPECT_EQ(other.result(), nullptr); // the value was moved out of the shared state
    }());
}

// --- unretrieved exceptions ----------------------------------------------------------------

TEST_P(Future, UnretrievedExceptionIsReportedWhenTheLastHandleGoes) {
    {
        future<int> f = loop().create_future<int>();
        future<int> copy = f;
        f.set_exception(test_error("lost"));
        f = future<int>();
        EXPECT_TRUE(reports.empty()) << "reported while a handle is still alive";
    }
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].message, "Future exception was never retrieved");
    EXPECT_THROW(std::rethrow_exception(reports[0].exception), test_error);
    reports.clear();
}

TEST_P(Future, RetrievedExceptionIsNotReported) {
    {
        future<int> f = loop().create_future<int>();
        f.set_exception(test_error("seen"));
        EXPECT_NE(f.exception(), nullptr);
    }
    {
        future<int> f = loop().create_future<int>();
        f.set_exception(test_error("seen"));
        EXPECT_THROW(f.result(), test_error);
    }
    EXPECT_TRUE(reports.empty());
}

TEST_P(Future, CancelledOrSuccessfulFutureIsNotReported) {
    {
        future<int> f = loop().create_future<int>();
        f.cancel();
    }
    {
        future<int> f = loop().create_future<int>();
        f.set_result(1);
    }
    EXPECT_TRUE(reports.empty());
}

// --- cancellation and tasks --------------------------------------------------------------------

coro<std::string> await_and_catch(future<int> f) {
    try {
        co_await f;
    } catch (const cancelled_error& e) {
        co_return "cancelled: " + e.message();
    }
    co_return "not cancelled";
}

TEST_P(Future, TaskAwaitingACancelledFutureGetsCancelledError) {
    run([this]() -> coro<void> {
        future<int> f = loop().create_future<int>();
        task<std::string> t = create_task(await_and_catch(f));
        co_await sleep(0s);
        f.cancel("stop waiting");
        EXPECT_EQ(co_await t, "cancelled: stop waiting");
        EXPECT_FALSE(t.cancelled());
    }());
}

TEST_P(Future, UncaughtCancelOfAnAwaitedFutureCancelsTheTask) {
    run([this]() -> coro<void> {
        future<int> f = loop().create_future<int>();
        task<int> t = create_task(await_int(f));
        co_await sleep(0s);
        f.cancel();
        try {
            co_await t;
            ADD_FAILURE() << "awaiting the task returned";
        } catch (const cancelled_error&) {
        }
        EXPECT_TRUE(t.cancelled());
    }());
}

TEST_P(Future, CancellingATaskCancelsTheFutureItAwaits) {
    run([this]() -> coro<void> {
        future<int> f = loop().create_future<int>();
        task<std::string> t = create_task(await_and_catch(f));
        co_await sleep(0s);
        EXPECT_TRUE(t.cancel("from outside"));
        EXPECT_TRUE(f.cancelled()) << "task.cancel() did not cancel the awaited future";
        EXPECT_EQ(co_await t, "cancelled: from outside");
    }());
}

TEST_P(Future, SetResultAfterTheWaiterWasCancelledIsHarmless) {
    run([this]() -> coro<void> {
        future<int> f = loop().create_future<int>();
        task<int> t = create_task(await_int(f));
        future<int> keep = f;
        co_await sleep(0s);
        t.cancel();
        EXPECT_THROW(keep.set_result(1), invalid_state_error); // the future was cancelled
        EXPECT_THROW(co_await t, cancelled_error);
    }());
}

CORELOOP_ALL_BACKENDS(Future);

} // namespace
} // namespace coreloop
