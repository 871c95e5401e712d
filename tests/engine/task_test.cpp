// task<T>: names, current_task/all_tasks, exception propagation, cancellation at every kind of
// await point, cancelling/uncancel, unretrieved exceptions, sleep (CPython's test_tasks.py,
// carried over).
#include <coreloop/task.hpp>

#include <algorithm>
#include <chrono>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/socket.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class Task : public test::loop_test {};

struct test_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

coro<void> noop() {
    co_return;
}

coro<int> value_after_yield(int v) {
    co_await sleep(0s);
    co_return v;
}

coro<void> sleep_long() {
    co_await sleep(1h);
}

// Where a cancelled_error was caught, and with which message.
struct catch_record {
    bool caught = false;
    std::string message;
};

// --- names, current_task, all_tasks ----------------------------------------------------------

TEST_P(Task, DefaultNameIsTaskN) {
    run([]() -> coro<void> {
        task<> a = create_task(noop());
        task<> b = create_task(noop());
        std::string na = a.get_name();
        std::string nb = b.get_name();
        EXPECT_TRUE(std::regex_match(na, std::regex("Task-[0-9]+"))) << na;
        EXPECT_TRUE(std::regex_match(nb, std::regex("Task-[0-9]+"))) << nb;
        if (na.size() > 5 && nb.size() > 5) {
            EXPECT_EQ(std::stoi(nb.substr(5)), std::stoi(na.substr(5)) + 1);
        }
        co_await a;
        co_await b;
    }());
}

TEST_P(Task, NameGivenAtCreationAndSetName) {
    run([]() -> coro<void> {
        task<> t = create_task(noop(), "worker");
        EXPECT_EQ(t.get_name(), "worker");
        t.set_name("renamed");
        EXPECT_EQ(t.get_name(), "renamed");
        any_task any = t;
        EXPECT_EQ(any.get_name(), "renamed");
        any.set_name("via any_task");
        EXPECT_EQ(t.get_name(), "via any_task");
        co_await t;
    }());
}

TEST_P(Task, CurrentTaskOutsideATaskIsEmpty) {
    EXPECT_FALSE(current_task());
    bool empty_in_callback = false;
    loop().call_soon([&] {
        empty_in_callback = !current_task();
        loop().stop();
    });
    loop().run_forever();
    EXPECT_TRUE(empty_in_callback);
}

coro<std::string> own_name() {
    co_await sleep(0s);
    co_return current_task().get_name();
}

TEST_P(Task, CurrentTaskInsideATask) {
    run([]() -> coro<void> {
        any_task me = current_task();
        EXPECT_TRUE(me);
        EXPECT_EQ(me.get_name(), "test-main");
        task<std::string> child = create_task(own_name(), "child");
        EXPECT_EQ(co_await child, "child");
        EXPECT_TRUE(current_task() == me);
        EXPECT_FALSE(any_task(child) == me);
    }());
    EXPECT_FALSE(current_task());
}

TEST_P(Task, AllTasksListsThePendingTasks) {
    run([]() -> coro<void> {
        task<int> a = create_task(value_after_yield(1), "a");
        task<int> b = create_task(value_after_yield(2), "b");
        std::vector<any_task> all = all_tasks();
        EXPECT_EQ(all.size(), 3U);
        EXPECT_NE(std::find(all.begin(), all.end(), any_task(a)), all.end());
        EXPECT_NE(std::find(all.begin(), all.end(), any_task(b)), all.end());
        EXPECT_NE(std::find(all.begin(), all.end(), current_task()), all.end());
        co_await a;
        co_await b;
        all = all_tasks();
        EXPECT_EQ(all.size(), 1U);
        EXPECT_TRUE(all.size() == 1 && all[0] == current_task());
    }());
}

TEST_P(Task, AllTasksOutsideALoopThrows) {
    EXPECT_THROW(all_tasks(), std::runtime_error);
}

TEST_P(Task, CreateTaskWithoutARunningLoopThrows) {
    EXPECT_THROW(create_task(noop()), std::runtime_error);
    // The rejected coroutine's frame is freed (teardown checks).
}

TEST_P(Task, LoopCreateTaskBeforeRunning) {
    task<int> t = loop().create_task(value_after_yield(3));
    EXPECT_FALSE(t.done());
    EXPECT_EQ(loop().run_until_complete(future<int>(t)), 3);
    EXPECT_TRUE(t.done());
    EXPECT_EQ(t.result(), 3);
}

// --- exceptions ------------------------------------------------------------------------------

coro<int> level3() {
    co_await sleep(0s);
    throw test_error("from level 3");
}

coro<int> level2() {
    int v = co_await level3();
    co_return v + 1;
}

coro<int> level1() {
    int v = co_await level2();
    co_return v + 1;
}

TEST_P(Task, ExceptionPropagatesThroughNestedCoros) {
    run([]() -> coro<void> {
        try {
            co_await level1();
            ADD_FAILURE() << "no exception";
        } catch (const test_error& e) {
            EXPECT_STREQ(e.what(), "from level 3");
        }
    }());
}

TEST_P(Task, ExceptionPropagatesThroughATask) {
    run([]() -> coro<void> {
        task<int> t = create_task(level1());
        try {
            co_await t;
            ADD_FAILURE() << "no exception";
        } catch (const test_error& e) {
            EXPECT_STREQ(e.what(), "from level 3");
        }
        EXPECT_TRUE(t.done());
        EXPECT_FALSE(t.cancelled());
        EXPECT_NE(t.exception(), nullptr);
        EXPECT_THROW(t.result(), test_error);
    }());
}

// --- cancellation at each kind of await point ---------------------------------------------------

coro<void> sleep_recording(catch_record& rec) {
    try {
        co_await sleep(1h);
    } catch (const cancelled_error& e) {
        rec.caught = true;
        rec.message = e.message();
        throw;
    }
}

TEST_P(Task, CancelDuringSleep) {
    run([]() -> coro<void> {
        catch_record rec;
        task<> t = create_task(sleep_recording(rec));
        co_await sleep(0s);
        EXPECT_TRUE(t.cancel());
        EXPECT_THROW(co_await t, cancelled_error);
        EXPECT_TRUE(rec.caught);
        EXPECT_TRUE(t.cancelled());
    }());
}

coro<void> future_recording(future<int> f, catch_record& rec) {
    try {
        co_await f;
    } catch (const cancelled_error& e) {
        rec.caught = true;
        throw;
    }
}

TEST_P(Task, CancelWhileAwaitingAFuture) {
    run([this]() -> coro<void> {
        catch_record rec;
        future<int> f = loop().create_future<int>();
        task<> t = create_task(future_recording(f, rec));
        co_await sleep(0s);
        t.cancel();
        EXPECT_THROW(co_await t, cancelled_error);
        EXPECT_TRUE(rec.caught);
        EXPECT_TRUE(f.cancelled());
        EXPECT_TRUE(t.cancelled());
    }());
}

coro<void> task_recording(task<> inner, catch_record& rec) {
    try {
        co_await inner;
    } catch (const cancelled_error& e) {
        rec.caught = true;
        throw;
    }
}

TEST_P(Task, CancelWhileAwaitingAnotherTask) {
    run([]() -> coro<void> {
        catch_record rec;
        task<> inner = create_task(sleep_long(), "inner");
        task<> outer = create_task(task_recording(inner, rec), "outer");
        co_await sleep(0s);
        outer.cancel();
        EXPECT_THROW(co_await outer, cancelled_error);
        EXPECT_TRUE(rec.caught);
        EXPECT_TRUE(outer.cancelled());
        // asyncio: cancelling a task awaiting another cancels the inner one as well.
        EXPECT_THROW(co_await inner, cancelled_error);
        EXPECT_TRUE(inner.cancelled());
    }());
}

coro<void> recv_recording(event_loop& loop, socket& s, catch_record& rec) {
    try {
        std::string got = co_await loop.sock_recv(s, 100);
        ADD_FAILURE() << "recv returned " << got.size() << " bytes";
    } catch (const cancelled_error& e) {
        rec.caught = true;
        throw;
    }
}

TEST_P(Task, CancelWhileReceivingFromASocket) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        catch_record rec;
        task<> t = create_task(recv_recording(loop(), b, rec));
        co_await sleep(0s);
        co_await sleep(0s);
        t.cancel();
        EXPECT_THROW(co_await t, cancelled_error);
        EXPECT_TRUE(rec.caught);
        EXPECT_TRUE(t.cancelled());
    }());
}

coro<void> set_flag(bool& flag) {
    flag = true;
    co_return;
}

coro<int> absorb_cancel() {
    try {
        co_await sleep(1h);
    } catch (const cancelled_error&) {
        co_return 5; // swallows the cancellation
    }
    co_return 0;
}

coro<int> await_absorbing(task<int> inner) {
    int v = co_await inner;
    co_await sleep(0s); // not cancelled: the request went to the inner task, which absorbed it
    co_return v + 1;
}

TEST_P(Task, CancelForwardedToAnInnerTaskThatAbsorbsIt) {
    // asyncio: Task.cancel() on a task awaiting another task cancels the inner one and, if
    // that request is accepted, leaves the outer one to see whatever the inner one returns.
    run([]() -> coro<void> {
        task<int> inner = create_task(absorb_cancel());
        task<int> outer = create_task(await_absorbing(inner));
        co_await sleep(0s);
        EXPECT_TRUE(outer.cancel());
        EXPECT_EQ(co_await outer, 6);
        EXPECT_FALSE(outer.cancelled());
        EXPECT_EQ(co_await inner, 5);
    }());
}

TEST_P(Task, CancelBeforeTheFirstStepSkipsTheBody) {
    run([]() -> coro<void> {
        bool ran = false;
        task<> t = create_task(set_flag(ran));
        EXPECT_TRUE(t.cancel("early"));
        try {
            co_await t;
            ADD_FAILURE() << "no exception";
        } catch (const cancelled_error& e) {
            EXPECT_EQ(e.message(), "early");
        }
        EXPECT_FALSE(ran);
        EXPECT_TRUE(t.cancelled());
    }());
}

TEST_P(Task, CancelAfterDoneReturnsFalse) {
    run([]() -> coro<void> {
        task<int> t = create_task(value_after_yield(5));
        EXPECT_EQ(co_await t, 5);
        EXPECT_FALSE(t.cancel());
        EXPECT_FALSE(t.cancelled());
        EXPECT_EQ(t.cancelling(), 0U);
    }());
}

coro<std::uint32_t> cancelling_seen_in_handler() {
    try {
        co_await sleep(1h);
    } catch (const cancelled_error&) {
        co_return current_task().cancelling();
    }
    co_return 0;
}

TEST_P(Task, CancelTwiceCountsTwoRequests) {
    run([]() -> coro<void> {
        task<std::uint32_t> t = create_task(cancelling_seen_in_handler());
        co_await sleep(0s);
        EXPECT_TRUE(t.cancel());
        EXPECT_TRUE(t.cancel());
        EXPECT_EQ(t.cancelling(), 2U);
        EXPECT_EQ(co_await t, 2U);
    }());
}

TEST_P(Task, UncancelCountsDown) {
    run([]() -> coro<void> {
        catch_record rec;
        task<> t = create_task(sleep_recording(rec));
        co_await sleep(0s);
        t.cancel();
        t.cancel();
        EXPECT_EQ(t.uncancel(), 1U);
        EXPECT_EQ(t.cancelling(), 1U);
        // The first request was already delivered to the sleep: the task is still cancelled.
        EXPECT_THROW(co_await t, cancelled_error);
        EXPECT_TRUE(rec.caught);
        EXPECT_EQ(t.uncancel(), 0U);
        EXPECT_EQ(t.uncancel(), 0U); // never below zero
    }());
}

TEST_P(Task, UncancelToZeroDropsAnUndeliveredCancel) {
    run([]() -> coro<void> {
        bool ran = false;
        task<> t = create_task(set_flag(ran));
        t.cancel();
        EXPECT_EQ(t.cancelling(), 1U);
        EXPECT_EQ(t.uncancel(), 0U);
        co_await t;
        EXPECT_TRUE(ran);
        EXPECT_FALSE(t.cancelled());
    }());
}

coro<int> cancel_self_then_uncancel() {
    any_task me = current_task();
    me.cancel();
    me.uncancel();
    co_await sleep(0s); // would raise if the cancel were still pending
    co_return 1;
}

TEST_P(Task, SelfCancelWithdrawnBeforeTheNextSuspensionIsDropped) {
    run([]() -> coro<void> {
        task<int> t = create_task(cancel_self_then_uncancel());
        EXPECT_EQ(co_await t, 1);
        EXPECT_FALSE(t.cancelled());
    }());
}

coro<int> cancel_self() {
    current_task().cancel("self");
    try {
        co_await sleep(0s);
    } catch (const cancelled_error& e) {
        EXPECT_EQ(e.message(), "self");
        throw;
    }
    co_return 1;
}

TEST_P(Task, SelfCancelIsRaisedAtTheNextSuspension) {
    run([]() -> coro<void> {
        task<int> t = create_task(cancel_self());
        EXPECT_THROW(co_await t, cancelled_error);
        EXPECT_TRUE(t.cancelled());
    }());
}

coro<int> catch_cancel_and_return() {
    try {
        co_await sleep(1h);
    } catch (const cancelled_error&) {
        co_return 7;
    }
    co_return 0;
}

TEST_P(Task, CaughtCancelAndNormalReturnIsNotCancelled) {
    run([]() -> coro<void> {
        task<int> t = create_task(catch_cancel_and_return());
        co_await sleep(0s);
        t.cancel();
        EXPECT_EQ(co_await t, 7);
        EXPECT_FALSE(t.cancelled());
        EXPECT_TRUE(t.done());
    }());
}

coro<int> catch_cancel_then_sleep_again() {
    try {
        co_await sleep(1h);
    } catch (const cancelled_error&) {
    }
    co_await sleep(1ms); // cleanup work after a caught cancel still awaits normally
    co_return 3;
}

TEST_P(Task, CaughtCancelLetsTheTaskAwaitAgain) {
    run([]() -> coro<void> {
        task<int> t = create_task(catch_cancel_then_sleep_again());
        co_await sleep(0s);
        t.cancel();
        EXPECT_EQ(co_await t, 3);
    }());
}

TEST_P(Task, CancelMessageIsPreserved) {
    run([]() -> coro<void> {
        catch_record rec;
        task<> t = create_task(sleep_recording(rec));
        co_await sleep(0s);
        t.cancel("shutting down");
        try {
            co_await t;
            ADD_FAILURE() << "no exception";
        } catch (const cancelled_error& e) {
            EXPECT_EQ(e.message(), "shutting down");
        }
        EXPECT_EQ(rec.message, "shutting down");
        try {
            t.result();
            ADD_FAILURE() << "no exception";
        } catch (const cancelled_error& e) {
            EXPECT_EQ(e.message(), "shutting down");
        }
    }());
}

coro<std::string> wait_for_task(task<> t) {
    try {
        co_await t;
    } catch (const cancelled_error&) {
        co_return "waiter saw cancelled_error";
    }
    co_return "waiter saw success";
}

coro<void> wait_for_task_uncaught(task<> t) {
    co_await t;
}

TEST_P(Task, WaiterOfACancelledTaskGetsCancelledError) {
    run([]() -> coro<void> {
        task<> target = create_task(sleep_long());
        task<std::string> catcher = create_task(wait_for_task(target));
        task<> plain = create_task(wait_for_task_uncaught(target));
        co_await sleep(0s);
        target.cancel();
        EXPECT_EQ(co_await catcher, "waiter saw cancelled_error");
        EXPECT_THROW(co_await plain, cancelled_error);
        EXPECT_TRUE(plain.cancelled()); // the cancellation propagated through the waiter
        EXPECT_TRUE(target.cancelled());
    }());
}

TEST_P(Task, CancelledErrorIsNotAStdException) {
    bool caught_as_std = false;
    bool caught_as_base = false;
    try {
        throw cancelled_error("x");
    } catch (const std::exception&) {
        caught_as_std = true;
    } catch (const base_exception& e) {
        caught_as_base = true;
        EXPECT_STREQ(e.what(), "x");
    }
    EXPECT_FALSE(caught_as_std);
    EXPECT_TRUE(caught_as_base);
}

// --- unretrieved exceptions and abandoned tasks -------------------------------------------------

coro<void> throw_after_yield() {
    co_await sleep(0s);
    throw test_error("nobody listens");
}

TEST_P(Task, UnawaitedTaskExceptionIsReported) {
    run([this]() -> coro<void> {
        create_task(throw_after_yield(), "orphan");
        for (int i = 0; i < 3; ++i) {
            co_await sleep(0s);
        }
        EXPECT_EQ(reports.size(), 1U);
    }());
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].message, "Task exception was never retrieved");
    EXPECT_THROW(std::rethrow_exception(reports[0].exception), test_error);
    reports.clear();
}

TEST_P(Task, UnretrievedTaskExceptionReportNamesTheTask) {
    // asyncio passes the task itself in the context ('future': task) of this report.
    run([]() -> coro<void> {
        create_task(throw_after_yield(), "orphan");
        for (int i = 0; i < 3; ++i) {
            co_await sleep(0s);
        }
    }());
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].task_name, "orphan") << "the report does not name the task";
    reports.clear();
}

TEST_P(Task, UnretrievedExceptionIsReportedWhenTheLastHandleGoes) {
    run([this]() -> coro<void> {
        task<> t = create_task(throw_after_yield());
        for (int i = 0; i < 3; ++i) {
            co_await sleep(0s);
        }
        EXPECT_TRUE(t.done());
        EXPECT_TRUE(reports.empty()) << "reported while a handle is still alive";
        t = task<>();
        EXPECT_EQ(reports.size(), 1U);
    }());
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].message, "Task exception was never retrieved");
    reports.clear();
}

TEST_P(Task, AwaitedTaskExceptionIsNotReported) {
    run([]() -> coro<void> {
        task<> t = create_task(throw_after_yield());
        EXPECT_THROW(co_await t, test_error);
    }());
    EXPECT_TRUE(reports.empty());
}

TEST_P(Task, PendingTaskDestroyedWhenTheLoopClosesIsReported) {
    run([]() -> coro<void> {
        create_task(sleep_long(), "sleeper");
        co_await sleep(0s);
        co_await sleep(0s);
    }());
    EXPECT_TRUE(reports.empty());
    loop().close();
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].message, "Task was destroyed but it is pending!");
    EXPECT_EQ(reports[0].task_name, "sleeper");
    reports.clear();
}

TEST_P(Task, HandleOfATaskDroppedAtCloseSeesItCancelled) {
    task<> t = loop().create_task(sleep_long(), "kept");
    loop().run_until_complete(value_after_yield(0));
    EXPECT_FALSE(t.done());
    loop().close();
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].message, "Task was destroyed but it is pending!");
    reports.clear();
}

// --- ensure_future and the future API of a task ------------------------------------------------

TEST_P(Task, EnsureFutureWrapsACoroInATask) {
    run([]() -> coro<void> {
        task<int> t = ensure_future(value_after_yield(6));
        EXPECT_FALSE(t.done());
        EXPECT_TRUE(std::regex_match(t.get_name(), std::regex("Task-[0-9]+")));
        EXPECT_EQ(co_await t, 6);
    }());
}

TEST_P(Task, TaskDoneCallbackRunsAfterTheTaskEnds) {
    run([]() -> coro<void> {
        task<int> t = create_task(value_after_yield(2));
        int seen = 0;
        t.add_done_callback([&seen](future<int>& f) { seen = f.result(); });
        EXPECT_EQ(seen, 0);
        co_await t;
        // The callback was added before this task started waiting: it runs first (asyncio
        // wakes an awaiting task through a done callback too).
        EXPECT_EQ(seen, 2);
    }());
}

TEST_P(Task, TaskResultBeforeDoneThrowsInvalidState) {
    run([]() -> coro<void> {
        task<int> t = create_task(value_after_yield(2));
        EXPECT_THROW(t.result(), invalid_state_error);
        EXPECT_EQ(co_await t, 2);
    }());
}

CORELOOP_ALL_BACKENDS(Task);

} // namespace
} // namespace coreloop
