// task_group::cancel() (Python 3.15): a clean early exit that never swallows a cancellation
// from outside (an enclosing timeout still fires, cpython gh-155433).
#include <coreloop/task_group.hpp>

#include "task_group_support.hpp"

namespace coreloop {
namespace {

using namespace test;

class TaskGroupCancel : public TaskGroup {};

// --- cancel() (3.15) ---------------------------------------------------------------------

TEST_P(TaskGroupCancel, CancelFromTheBodyExitsCleanly) {
    run([]() -> coro<void> {
        int cancels = 0;
        bool after_cancel = false;
        co_await with_task_group([&](task_group& tg) -> coro<void> {
            tg.create_task(sleep_counting(5s, cancels));
            tg.create_task(sleep_counting(5s, cancels));
            co_await sleep(10ms);
            tg.cancel();
            co_await sleep(5s); // cancelled here
            after_cancel = true;
        });
        EXPECT_EQ(cancels, 2);
        EXPECT_FALSE(after_cancel);
        EXPECT_EQ(current_task().cancelling(), 0U);
        co_await sleep(1ms); // not cancelled any more
    }());
}

TEST_P(TaskGroupCancel, CancelFromAChild) {
    run([]() -> coro<void> {
        int cancels = 0;
        std::optional<int> v = co_await with_task_group([&](task_group& tg) -> coro<int> {
            tg.create_task(sleep_counting(5s, cancels));
            tg.create_task([](task_group& g) -> coro<void> {
                co_await sleep(10ms);
                g.cancel();
            }(tg));
            co_await sleep(5s);
            co_return 1;
        });
        EXPECT_FALSE(v); // the body was stopped before producing its value
        EXPECT_EQ(cancels, 1);
    }());
}

TEST_P(TaskGroupCancel, CancelBeforeEntry) {
    run([]() -> coro<void> {
        task_group tg;
        tg.cancel();
        int steps = 0;
        bool refused = false;
        co_await with_task_group(tg, [&](task_group& g) -> coro<void> {
            ++steps;
            try {
                g.create_task(value_after(1ms, 1));
            } catch (const std::runtime_error&) {
                refused = true; // the group is already shutting down
            }
            co_await sleep(0ms);
            ++steps;
        });
        EXPECT_EQ(steps, 1);
        EXPECT_TRUE(refused);
        EXPECT_EQ(current_task().cancelling(), 0U);
    }());
}

TEST_P(TaskGroupCancel, CancelIsIdempotentAndANoOpAfterExit) {
    run([]() -> coro<void> {
        task_group tg;
        co_await with_task_group(tg, [&](task_group& g) -> coro<void> {
            g.create_task(value_after(5s, 1));
            g.cancel();
            g.cancel();
            EXPECT_EQ(current_task().cancelling(), 1U);
            co_await sleep(5s);
        });
        tg.cancel();
        EXPECT_EQ(current_task().cancelling(), 0U);
        co_await sleep(1ms);
    }());
}

TEST_P(TaskGroupCancel, CancelWithoutAnAwaitInTheBody) {
    run([]() -> coro<void> {
        co_await with_task_group([](task_group& g) -> coro<void> {
            g.cancel(); // the body ends before the cancel is delivered
            co_return;
        });
        EXPECT_EQ(current_task().cancelling(), 0U);
        co_await sleep(1ms); // the undelivered cancel was dropped by uncancel()
    }());
}

TEST_P(TaskGroupCancel, CancelDoesNotSwallowAnOutsideCancellation) {
    run([]() -> coro<void> {
        auto slow_to_stop = []() -> coro<void> {
            try {
                co_await sleep(5s);
            } catch (const cancelled_error&) {
            }
            co_await sleep(100ms); // still cleaning up when the outside cancel comes
        };
        bool after_group = false;
        auto runner = [](auto slow_to_stop_ref, bool& after_group_ref) -> coro<void> {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                tg.create_task(slow_to_stop_ref());
                co_await sleep(10ms);
                tg.cancel();
                co_await sleep(5s);
            });
            after_group_ref = true;
        };
        task<> r = create_task(runner(slow_to_stop, after_group));
        co_await sleep(50ms);
        r.cancel("outside");
        EXPECT_THROW(co_await r, cancelled_error);
        EXPECT_FALSE(after_group);
        EXPECT_TRUE(r.cancelled());
    }());
}

TEST_P(TaskGroupCancel, CancelDoesNotSwallowAnOutsideCancellationWhileJoining) {
    // gh-155433: the body ends normally after cancel(); the outside cancel arrives while the
    // group waits for a child that is slow to stop. uncancel() leaves it pending: raise it.
    run([]() -> coro<void> {
        auto slow_to_stop = []() -> coro<void> {
            try {
                co_await sleep(5s);
            } catch (const cancelled_error&) {
            }
            co_await sleep(100ms);
        };
        bool after_group = false;
        auto runner = [](auto slow_to_stop_ref, bool& after_group_ref) -> coro<void> {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                tg.create_task(slow_to_stop_ref());
                co_await sleep(10ms); // the child starts
                tg.cancel();
                co_return;
            });
            after_group_ref = true;
        };
        task<> r = create_task(runner(slow_to_stop, after_group));
        co_await sleep(50ms);
        r.cancel("outside");
        EXPECT_THROW(co_await r, cancelled_error);
        EXPECT_FALSE(after_group);
        EXPECT_TRUE(r.cancelled());
    }());
}

TEST_P(TaskGroupCancel, EnclosingTimeoutStillFiresAfterCancel) {
    // SPEC §17.3: the timeout expires while the cancelled group waits for a slow child.
    run([]() -> coro<void> {
        bool after_group = false;
        EXPECT_THROW(co_await with_timeout(50ms,
                                           [&](timeout&) -> coro<void> {
                                               co_await with_task_group(
                                                       [](task_group& tg) -> coro<void> {
                                                           tg.create_task([]() -> coro<void> {
                                                               try {
                                                                   co_await sleep(5s);
                                                               } catch (const cancelled_error&) {
                                                               }
                                                               co_await sleep(100ms);
                                                           }());
                                                           co_await sleep(10ms);
                                                           tg.cancel();
                                                       });
                                               after_group = true;
                                           }),
                     timeout_error);
        EXPECT_FALSE(after_group);
        EXPECT_EQ(current_task().cancelling(), 0U);
    }());
}

TEST_P(TaskGroupCancel, OutsideCancellationDuringTheBodyAfterCancel) {
    run([]() -> coro<void> {
        auto runner = []() -> coro<void> {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                tg.cancel();
                // Both the group's and the outside cancellation are pending here.
                current_task().cancel("outside");
                co_await sleep(5s);
            });
        };
        task<> r = create_task(runner());
        EXPECT_THROW(co_await r, cancelled_error);
        EXPECT_TRUE(r.cancelled());
    }());
}

CORELOOP_ALL_BACKENDS(TaskGroupCancel);

} // namespace
} // namespace coreloop
