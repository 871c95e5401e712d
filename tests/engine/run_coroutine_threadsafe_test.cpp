// run_coroutine_threadsafe: a foreign thread starts coroutines on a running loop and blocks
// on their concurrent_future (results, exceptions, timeouts, cancellation both ways, close).
#include <coreloop/run_coroutine_threadsafe.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <coreloop/sleep.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class RunCoroutineThreadsafe : public test::loop_test {
protected:
    // Runs `body` on a foreign thread while the loop runs, until it ends and the loop has no
    // task but the test's own left.
    template <class Body>
    void run_with_foreign(Body body) {
        std::atomic<bool> finished{false};
        std::jthread foreign([&] {
            body();
            finished = true;
        });
        run([](std::atomic<bool>& done) -> coro<void> {
            while (!done.load() || all_tasks().size() > 1) {
                co_await sleep(1ms);
            }
        }(finished));
    }
};

coro<int> answer_after(std::chrono::milliseconds delay) {
    co_await sleep(delay);
    co_return 42;
}

TEST_P(RunCoroutineThreadsafe, ForeignThreadGetsTheResult) {
    run_with_foreign([&] {
        auto f = run_coroutine_threadsafe([] { return answer_after(2ms); }, loop());
        EXPECT_EQ(f.result(5s), 42);
        EXPECT_TRUE(f.done());
    });
}

TEST_P(RunCoroutineThreadsafe, CoroutineLambdaCapturesStayValid) {
    run_with_foreign([&] {
        int base = 40;
        auto f = run_coroutine_threadsafe(
                [base]() -> coro<int> {
                    co_await sleep(1ms);
                    co_return base + 2;
                },
                loop());
        EXPECT_EQ(f.result(5s), 42);
    });
}

TEST_P(RunCoroutineThreadsafe, TimeoutExpiresThenCancelStopsTheTask) {
    std::atomic<bool> saw_cancel{false};
    run_with_foreign([&] {
        auto f = run_coroutine_threadsafe(
                [&saw_cancel]() -> coro<int> {
                    try {
                        co_await sleep(10s);
                    } catch (const cancelled_error&) {
                        saw_cancel = true;
                        throw;
                    }
                    co_return 1;
                },
                loop());
        EXPECT_THROW(f.result(20ms), timeout_error);
        EXPECT_TRUE(f.cancel());
        EXPECT_TRUE(f.cancelled());
        EXPECT_THROW(f.result(), cancelled_error);
    });
    EXPECT_TRUE(saw_cancel.load());
}

TEST_P(RunCoroutineThreadsafe, ExceptionPropagates) {
    run_with_foreign([&] {
        auto f = run_coroutine_threadsafe(
                []() -> coro<void> {
                    co_await sleep(1ms);
                    throw std::invalid_argument("from the loop");
                },
                loop());
        EXPECT_THROW(f.result(5s), std::invalid_argument);
        EXPECT_NE(f.exception(), nullptr);
    });
}

TEST_P(RunCoroutineThreadsafe, TaskCancelledOnTheLoopCancelsTheFuture) {
    run_with_foreign([&] {
        auto f = run_coroutine_threadsafe(
                []() -> coro<void> {
                    current_task().cancel();
                    co_await sleep(1s);
                },
                loop());
        EXPECT_THROW(f.result(5s), cancelled_error);
        EXPECT_TRUE(f.cancelled());
    });
}

TEST_P(RunCoroutineThreadsafe, DoneCallbackRunsOnTheLoopThread) {
    std::atomic<bool> on_loop{false};
    auto loop_thread = std::this_thread::get_id();
    run_with_foreign([&] {
        auto f = run_coroutine_threadsafe([] { return answer_after(1ms); }, loop());
        std::atomic<bool> called{false};
        f.add_done_callback([&] {
            on_loop = std::this_thread::get_id() == loop_thread;
            called = true;
        });
        EXPECT_EQ(f.result(5s), 42);
        while (!called.load()) {
            std::this_thread::yield();
        }
    });
    EXPECT_TRUE(on_loop.load());
}

TEST_P(RunCoroutineThreadsafe, ClosingTheLoopFirstCancelsTheFuture) {
    bool called = false;
    auto f = run_coroutine_threadsafe(
            [&called] {
                called = true;
                return answer_after(1ms);
            },
            loop());
    loop().close();
    EXPECT_TRUE(f.cancelled());
    EXPECT_FALSE(called);
    EXPECT_THROW((void)run_coroutine_threadsafe([] { return answer_after(1ms); }, loop()),
                 std::runtime_error);
}

CORELOOP_ALL_BACKENDS(RunCoroutineThreadsafe);

} // namespace
} // namespace coreloop
