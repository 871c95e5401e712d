// submit_to: values and exceptions cross shards, calls are sent eagerly and in batches, and a
// cancel travels to the target and back (docs/cancellation.md), on an engine and on a plain loop.
#include <coreloop/submit_to.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <coreloop/engine.hpp>
#include <coreloop/gather.hpp>
#include <coreloop/runner.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>
#include <coreloop/wait_for.hpp>

#include "support/engine_test.hpp"
#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using test::tracked;

using test::eventually;

using SubmitTo = test::engine_test;

struct test_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A blocking CPU spin on the calling shard until `flag` is set (or 10 s passed): keeps that
// shard from draining its rings meanwhile.
bool spin_until(const std::atomic<bool>& flag) {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!flag.load()) {
        if (std::chrono::steady_clock::now() > give_up) {
            return false;
        }
        std::this_thread::yield();
    }
    return true;
}

// Awaits a submission inside a coro, for create_task.
template <class T>
coro<T> await_submission(submission<T> s) {
    co_return co_await std::move(s);
}

TEST_P(SubmitTo, PlainFunctionsGiveTheirValues) {
    engine e(options(2));
    std::atomic<shard_id> void_ran_on{99};
    e.run([&]() -> coro<void> {
        EXPECT_EQ(co_await submit_to(1, [] { return static_cast<int>(this_shard_id()) + 41; }), 42);
        co_await submit_to(1, [&] { void_ran_on = this_shard_id(); });
        EXPECT_EQ(void_ran_on.load(), 1U);
        std::string s = co_await submit_to(1, [] { return std::string(1000, 'x'); });
        EXPECT_EQ(s, std::string(1000, 'x'));
        std::unique_ptr<int> p = co_await submit_to(1, [] { return std::make_unique<int>(7); });
        EXPECT_TRUE(p != nullptr && *p == 7);
    });
}

TEST_P(SubmitTo, CoroFunctionsRunAsTasksOnTheTargetAndGiveTheirValues) {
    engine e(options(2));
    std::atomic<shard_id> void_ran_on{99};
    e.run([&]() -> coro<void> {
        int v = co_await submit_to(1, []() -> coro<int> {
            co_await sleep(1ms);
            EXPECT_TRUE(current_task()); // a task of its own there
            co_return static_cast<int>(this_shard_id()) * 10;
        });
        EXPECT_EQ(v, 10);
        co_await submit_to(1, [&]() -> coro<void> {
            co_await sleep(1ms);
            void_ran_on = this_shard_id();
        });
        EXPECT_EQ(void_ran_on.load(), 1U);
        std::unique_ptr<std::string> p =
                co_await submit_to(1, []() -> coro<std::unique_ptr<std::string>> {
                    co_await sleep(0ms);
                    co_return std::make_unique<std::string>("moved home");
                });
        EXPECT_TRUE(p != nullptr && *p == "moved home");
    });
}

TEST_P(SubmitTo, ExceptionsComeBackWithTheirType) {
    engine e(options(2));
    e.run([&]() -> coro<void> {
        bool plain_threw = false;
        try {
            co_await submit_to(1, []() -> int { throw test_error("plain"); });
        } catch (const test_error& x) {
            plain_threw = std::string(x.what()) == "plain";
        }
        EXPECT_TRUE(plain_threw);
        bool void_threw = false;
        try {
            co_await submit_to(1, [] { throw std::logic_error("void"); });
        } catch (const std::logic_error& x) {
            void_threw = std::string(x.what()) == "void";
        }
        EXPECT_TRUE(void_threw);
        bool coro_threw = false;
        try {
            co_await submit_to(1, []() -> coro<std::unique_ptr<int>> {
                co_await sleep(1ms);
                throw test_error("coro");
            });
        } catch (const test_error& x) {
            coro_threw = std::string(x.what()) == "coro";
        }
        EXPECT_TRUE(coro_threw);
    });
}

TEST_P(SubmitTo, OnItsOwnShardAPlainFunctionRunsInline) {
    engine e(options(2));
    e.run([&]() -> coro<void> {
        bool ran = false;
        auto s = submit_to(0, [&ran] {
            ran = true;
            return std::make_unique<int>(5);
        });
        EXPECT_TRUE(ran); // before submit_to returned
        EXPECT_TRUE(s.done());
        std::unique_ptr<int> p = co_await std::move(s);
        EXPECT_TRUE(p != nullptr && *p == 5);
        bool threw = false;
        try {
            co_await submit_to(0, [] { throw test_error("inline"); });
        } catch (const test_error&) {
            threw = true;
        }
        EXPECT_TRUE(threw);
    });
}

TEST_P(SubmitTo, OnItsOwnShardACoroRunsAsATaskHere) {
    engine e(options(2));
    e.run([&]() -> coro<void> {
        any_task me = current_task();
        bool started = false;
        bool other_task = false;
        auto s = submit_to(0, [&]() -> coro<int> {
            started = true;
            other_task = current_task() && current_task() != me;
            co_await sleep(0ms);
            co_return static_cast<int>(this_shard_id()) + 3;
        });
        EXPECT_FALSE(started); // scheduled, not run inline
        EXPECT_EQ(co_await std::move(s), 3);
        EXPECT_TRUE(started);
        EXPECT_TRUE(other_task);
    });
}

TEST_P(SubmitTo, CallsAreSentBeforeTheyAreAwaited) {
    engine e(options(2));
    std::atomic<bool> ran{false};
    e.run([&]() -> coro<void> {
        auto s = submit_to(1, [&ran] {
            ran = true;
            return 11;
        });
        EXPECT_TRUE(co_await eventually([&ran] { return ran.load(); }));
        // The reply comes back too, with no one awaiting it yet.
        EXPECT_TRUE(co_await eventually([&s] { return s.done(); }));
        EXPECT_EQ(co_await std::move(s), 11);
    });
}

TEST_P(SubmitTo, CallsMadeInOneIterationArriveInOneBatch) {
    engine e(options(2));
    // On the target: a callback the first call schedules runs in the next batch, so the later
    // calls see it unrun only if they arrived in the same batch as the first.
    std::atomic<bool> next_batch_ran{false};
    std::atomic<int> saw_same_batch{0};
    std::atomic<int> order{0};
    e.run([&]() -> coro<void> {
        auto first = submit_to(1, [&] {
            get_running_loop().call_soon([&] { next_batch_ran = true; });
            return order.fetch_add(1);
        });
        auto second = submit_to(1, [&] {
            saw_same_batch += next_batch_ran.load() ? 0 : 1;
            return order.fetch_add(1);
        });
        auto third = submit_to(1, [&] {
            saw_same_batch += next_batch_ran.load() ? 0 : 1;
            return order.fetch_add(1);
        });
        EXPECT_EQ(co_await std::move(third), 2);
        EXPECT_EQ(co_await std::move(first), 0);
        EXPECT_EQ(co_await std::move(second), 1);
    });
    EXPECT_EQ(saw_same_batch.load(), 2);
    EXPECT_TRUE(next_batch_ran.load());
}

TEST_P(SubmitTo, ADroppedSubmissionStillRunsAndItsOutcomeIsDiscarded) {
    engine e(options(2));
    std::atomic<int> ran{0};
    e.run([&]() -> coro<void> {
        (void)submit_to(1, [&ran, t = tracked()] {
            ++ran;
            return std::make_unique<tracked>();
        });
        (void)submit_to(1, [&ran, t = tracked()]() -> int {
            ++ran;
            throw test_error("nobody listens");
        });
        (void)submit_to(1, [&ran, t = tracked()]() -> coro<tracked> {
            co_await sleep(1ms);
            ++ran;
            co_return tracked();
        });
        (void)submit_to(0, [&ran, t = tracked()]() -> coro<void> {
            co_await sleep(1ms);
            ++ran;
        });
        EXPECT_TRUE(co_await eventually([&ran] { return ran.load() == 4; }));
        // The replies come home and the messages (and results) are freed there.
        EXPECT_TRUE(co_await eventually([] { return tracked::live.load() == 0; }));
    });
    EXPECT_EQ(ran.load(), 4);
    EXPECT_EQ(tracked::live.load(), 0);
}

TEST_P(SubmitTo, CancellingTheAwaiterCancelsTheRemoteTaskAndWaitsForItsEnd) {
    engine e(options(2));
    std::atomic<bool> started{false};
    std::atomic<bool> saw_cancel{false};
    std::atomic<bool> cleaned_up{false};
    e.run([&]() -> coro<void> {
        task<int> waiter = create_task(await_submission(submit_to(1, [&]() -> coro<int> {
            started = true;
            bool cancelled = false;
            try {
                co_await sleep(1h);
            } catch (const cancelled_error&) {
                cancelled = true;
                saw_cancel = true;
            }
            if (cancelled) {
                co_await sleep(20ms); // an asynchronous clean-up the origin must wait for
                cleaned_up = true;
                throw cancelled_error("cleaned up");
            }
            co_return 1;
        })));
        EXPECT_TRUE(co_await eventually([&] { return started.load(); }));
        EXPECT_TRUE(waiter.cancel("from the origin"));
        bool cancelled = false;
        bool cleanup_was_done = false;
        try {
            co_await waiter;
        } catch (const cancelled_error&) {
            cancelled = true;
            cleanup_was_done = cleaned_up.load();
        }
        EXPECT_TRUE(cancelled);
        EXPECT_TRUE(waiter.cancelled());
        EXPECT_TRUE(saw_cancel.load());
        EXPECT_TRUE(cleanup_was_done) << "the origin resumed before the remote task ended";
    });
}

TEST_P(SubmitTo, APlainCallCancelledBeforeItStartsNeverRuns) {
    engine e(options(2));
    std::atomic<bool> blocking{false};
    std::atomic<bool> release{false};
    std::atomic<bool> victim_ran{false};
    e.run([&]() -> coro<void> {
        auto blocker = submit_to(1, [&] {
            blocking = true;
            return spin_until(release);
        });
        EXPECT_TRUE(co_await eventually([&] { return blocking.load(); }));
        task<int> waiter = create_task(await_submission(submit_to(1, [&] {
            victim_ran = true;
            return 1;
        })));
        co_await sleep(2ms); // the call is published; shard 1 is still spinning
        EXPECT_TRUE(waiter.cancel());
        co_await sleep(2ms);
        EXPECT_FALSE(waiter.done()) << "resumed before the target acknowledged the cancel";
        release = true;
        bool cancelled = false;
        try {
            co_await waiter;
        } catch (const cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        EXPECT_TRUE(co_await std::move(blocker));
    });
    EXPECT_FALSE(victim_ran.load());
}

// The origin's task: the call's result, then whatever its next suspension gives.
coro<int> take_result_then_yield(submission<int> s,
                                 std::atomic<int>& got,
                                 std::atomic<bool>& next_suspension_cancelled) {
    got = co_await std::move(s);
    try {
        co_await sleep(0ms);
    } catch (const cancelled_error&) {
        next_suspension_cancelled = true;
        throw;
    }
    co_return got.load();
}

TEST_P(SubmitTo, APlainCallAlreadyStartedRunsToItsEndAndTheCancelIsRearmed) {
    engine e(options(2));
    std::atomic<bool> started{false};
    std::atomic<bool> release{false};
    std::atomic<bool> finished{false};
    std::atomic<int> got{0};
    std::atomic<bool> rearmed{false};
    e.run([&]() -> coro<void> {
        task<int> waiter = create_task(take_result_then_yield(submit_to(1,
                                                                        [&] {
                                                                            started = true;
                                                                            spin_until(release);
                                                                            finished = true;
                                                                            return 7;
                                                                        }),
                                                              got, rearmed));
        EXPECT_TRUE(co_await eventually([&] { return started.load(); }));
        EXPECT_TRUE(waiter.cancel());
        co_await sleep(2ms);
        EXPECT_FALSE(waiter.done());
        release = true;
        bool cancelled = false;
        try {
            co_await waiter;
        } catch (const cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
    });
    EXPECT_TRUE(finished.load());
    EXPECT_EQ(got.load(), 7);    // the result was delivered...
    EXPECT_TRUE(rearmed.load()); // ...and the cancel raised at the next suspension
}

TEST_P(SubmitTo, ACoroCallThatFinishedBeforeTheCancelArrivedGivesItsResult) {
    engine e(options(2));
    std::atomic<bool> last_step{false};
    std::atomic<bool> release{false};
    std::atomic<bool> remote_cancelled{false};
    std::atomic<int> got{0};
    std::atomic<bool> rearmed{false};
    e.run([&]() -> coro<void> {
        auto call = submit_to(1, [&]() -> coro<int> {
            try {
                co_await sleep(1ms);
            } catch (const cancelled_error&) {
                remote_cancelled = true;
                throw;
            }
            last_step = true;
            spin_until(release); // the cancel arrives while the last step runs
            co_return 9;
        });
        task<int> waiter = create_task(take_result_then_yield(std::move(call), got, rearmed));
        EXPECT_TRUE(co_await eventually([&] { return last_step.load(); }));
        EXPECT_TRUE(waiter.cancel());
        co_await sleep(2ms);
        release = true;
        bool cancelled = false;
        try {
            co_await waiter;
        } catch (const cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        EXPECT_EQ(waiter.cancelling(), 1U);
    });
    EXPECT_FALSE(remote_cancelled.load());
    EXPECT_EQ(got.load(), 9);
    EXPECT_TRUE(rearmed.load());
}

coro<void> await_by_reference(submission<int>& s,
                              std::atomic<int>& got,
                              std::atomic<bool>& next_suspension_cancelled) {
    got = co_await s;
    try {
        co_await sleep(0ms);
    } catch (const cancelled_error&) {
        next_suspension_cancelled = true;
        throw;
    }
}

TEST_P(SubmitTo, ACancelAfterTheReplyArrivedButBeforeTheTaskResumedKeepsTheResult) {
    // The call is complete and its task woken, but not yet resumed, when the cancel comes:
    // the call ran, so its result must still be delivered (the cancel re-armed), or the
    // origin could not tell a call that ran from one that never did.
    engine e(options(2));
    std::atomic<bool> ran{false};
    std::atomic<int> got{0};
    std::atomic<bool> rearmed{false};
    e.run([&]() -> coro<void> {
        auto s = submit_to(1, [&ran] {
            ran = true;
            return 5;
        });
        task<void> waiter = create_task(await_by_reference(s, got, rearmed));
        co_await sleep(0ms); // the waiter is now suspended on the call
        while (!s.done()) {
            co_await sleep(0ms);
        }
        // The reply's node ran in this batch or the last one; the waiter runs after us.
        EXPECT_FALSE(waiter.done());
        waiter.cancel();
        bool cancelled = false;
        try {
            co_await waiter;
        } catch (const cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
    });
    EXPECT_TRUE(ran.load());
    EXPECT_EQ(got.load(), 5) << "the call ran but its result was lost to a late cancel";
    EXPECT_TRUE(rearmed.load());
}

TEST_P(SubmitTo, ATaskCancelledOnTheTargetGivesCancelledErrorAtTheOrigin) {
    engine e(options(2));
    e.run([&]() -> coro<void> {
        bool cancelled = false;
        try {
            co_await submit_to(1, []() -> coro<int> {
                // Someone on shard 1 cancels the task (here: itself, from a callback).
                any_task self = current_task();
                get_running_loop().call_soon([self]() mutable { self.cancel("target says no"); });
                co_await sleep(1h);
                co_return 1;
            });
        } catch (const cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        // The origin's task itself was not cancelled: it goes on.
        EXPECT_EQ(current_task().cancelling(), 0U);
        co_await sleep(1ms);
        EXPECT_EQ(co_await submit_to(1, [] { return 3; }), 3);
    });
}

TEST_P(SubmitTo, WaitForCancelsTheRemoteTaskOnExpiry) {
    engine e(options(2));
    std::atomic<bool> remote_started{false};
    std::atomic<bool> remote_cancelled{false};
    e.run([&]() -> coro<void> {
        bool timed_out = false;
        try {
            auto w = wait_for(submit_to(1,
                                        [&]() -> coro<int> {
                                            remote_started = true;
                                            try {
                                                co_await sleep(1h);
                                            } catch (const cancelled_error&) {
                                                remote_cancelled = true;
                                                throw;
                                            }
                                            co_return 1;
                                        }),
                              5ms);
            co_await std::move(w);
        } catch (const timeout_error&) {
            timed_out = true;
        }
        EXPECT_TRUE(timed_out);
        // The origin resumed after the remote task ended (unless the cancel came first).
        EXPECT_EQ(remote_cancelled.load(), remote_started.load());
        auto quick = wait_for(submit_to(1, [] { return 4; }), 5s);
        EXPECT_EQ(co_await std::move(quick), 4);
        EXPECT_EQ(current_task().cancelling(), 0U);
    });
}

TEST_P(SubmitTo, GatherTakesSubmissionsAndItsCancelReachesEveryShard) {
    engine e(options(3));
    std::atomic<int> cancelled{0};
    e.run([&]() -> coro<void> {
        auto [a, b] = co_await gather(submit_to(1, [] { return this_shard_id(); }),
                                      submit_to(2, []() -> coro<shard_id> {
                                          co_await sleep(1ms);
                                          co_return this_shard_id();
                                      }));
        EXPECT_EQ(a, 1U);
        EXPECT_EQ(b, 2U);
        auto forever = [&cancelled]() -> coro<void> {
            try {
                co_await sleep(1h);
            } catch (const cancelled_error&) {
                ++cancelled;
                throw;
            }
        };
        auto all = create_task(gather(submit_to(1, forever), submit_to(2, forever)));
        co_await sleep(5ms);
        all.cancel();
        bool was_cancelled = false;
        try {
            co_await all;
        } catch (const cancelled_error&) {
            was_cancelled = true;
        }
        EXPECT_TRUE(was_cancelled);
    });
    EXPECT_EQ(cancelled.load(), 2);
}

TEST_P(SubmitTo, OnItsOwnShardACoroCallIsCancelledWithItsAwaiter) {
    engine e(options(2));
    e.run([&]() -> coro<void> {
        bool remote_cancelled = false;
        task<int> waiter = create_task(await_submission(submit_to(0, [&]() -> coro<int> {
            try {
                co_await sleep(1h);
            } catch (const cancelled_error&) {
                remote_cancelled = true;
                throw;
            }
            co_return 1;
        })));
        co_await sleep(1ms);
        EXPECT_TRUE(waiter.cancel());
        bool cancelled = false;
        try {
            co_await waiter;
        } catch (const cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        EXPECT_TRUE(remote_cancelled);
    });
}

TEST_P(SubmitTo, ABadShardThrowsOutOfRange) {
    engine e(options(2));
    e.run([&]() -> coro<void> {
        EXPECT_THROW((void)submit_to(2, [] { return 1; }), std::out_of_range);
        EXPECT_THROW((void)submit_to(1000, []() -> coro<void> { co_return; }), std::out_of_range);
        EXPECT_EQ(co_await submit_to(1, [] { return 1; }), 1); // the engine is unharmed
    });
}

TEST_P(SubmitTo, ASubmissionAwaitedTwiceThrowsLogicError) {
    // In a child process: a crash there fails this test without ending the test binary.
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
            {
                bool logic_error_thrown = run([]() -> coro<bool> {
                    auto s = submit_to(0, [] { return 1; });
                    co_await s;
                    try {
                        co_await s;
                    } catch (const std::logic_error&) {
                        co_return true;
                    }
                    co_return false;
                }());
                std::exit(logic_error_thrown ? 0 : 1);
            },
            ::testing::ExitedWithCode(0), "");
}

// Outside an engine a plain loop is a one-shard engine of its own.
TEST(SubmitToOutsideAnEngine, ShardZeroIsTheLoopItselfAndShardOneDoesNotExist) {
    int total = run([]() -> coro<int> {
        bool ran = false;
        auto inline_call = submit_to(0, [&ran] {
            ran = true;
            return 1;
        });
        EXPECT_TRUE(ran);
        int sum = co_await std::move(inline_call);
        sum += co_await submit_to(0, []() -> coro<int> {
            co_await sleep(1ms);
            co_return 10;
        });
        EXPECT_THROW((void)submit_to(1, [] { return 1; }), std::out_of_range);
        EXPECT_THROW((void)submit_to(1, []() -> coro<int> { co_return 1; }), std::out_of_range);
        co_return sum;
    }());
    EXPECT_EQ(total, 11);
}

class SubmitToOnAPlainLoop : public test::loop_test {};

TEST_P(SubmitToOnAPlainLoop, WorksForShardZeroAndCancelsThere) {
    run([]() -> coro<void> {
        EXPECT_EQ(this_shard_id(), 0U);
        EXPECT_EQ(shard_count(), 1U);
        EXPECT_EQ(co_await submit_to(0, [] { return 2; }), 2);
        std::unique_ptr<int> p = co_await submit_to(0, []() -> coro<std::unique_ptr<int>> {
            co_await sleep(0ms);
            co_return std::make_unique<int>(3);
        });
        EXPECT_TRUE(p != nullptr && *p == 3);
        bool timed_out = false;
        try {
            auto w = wait_for(submit_to(0, []() -> coro<void> { co_await sleep(1h); }), 1ms);
            co_await std::move(w);
        } catch (const timeout_error&) {
            timed_out = true;
        }
        EXPECT_TRUE(timed_out);
        EXPECT_THROW((void)submit_to(1, [] { return 1; }), std::out_of_range);
    }());
}

CORELOOP_ENGINE_BACKENDS(SubmitTo);
CORELOOP_ALL_BACKENDS(SubmitToOnAPlainLoop);

} // namespace
} // namespace coreloop
