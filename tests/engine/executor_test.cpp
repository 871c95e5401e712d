// thread_pool_executor, event_loop::run_in_executor and to_thread: results and exceptions
// crossing threads, context copies, cancellation, and shutting the default executor down.
#include <coreloop/executor.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <coreloop/context.hpp>
#include <coreloop/runner.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

TEST(ThreadPoolExecutor, SubmitReturnsResultsAndExceptions) {
    thread_pool_executor pool(2);
    auto sum = pool.submit([](int a, int b) { return a + b; }, 2, 3);
    auto fail = pool.submit([] { throw std::invalid_argument("no"); });
    EXPECT_EQ(sum.result(5s), 5);
    EXPECT_THROW(fail.result(5s), std::invalid_argument);
}

TEST(ThreadPoolExecutor, OneWorkerRunsJobsInOrder) {
    thread_pool_executor pool(1);
    std::vector<int> order; // one worker: the jobs never overlap
    std::vector<concurrent_future<void>> done;
    for (int i = 0; i < 20; ++i) {
        done.push_back(pool.submit([&order, i] { order.push_back(i); }));
    }
    done.back().result(5s);
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(order[i], i);
    }
}

TEST(ThreadPoolExecutor, ShutdownRunsQueuedJobsThenRefusesNewOnes) {
    thread_pool_executor pool(1);
    std::atomic<int> ran{0};
    for (int i = 0; i < 5; ++i) {
        (void)pool.submit([&] { ++ran; });
    }
    pool.shutdown(true);
    EXPECT_EQ(ran.load(), 5);
    EXPECT_THROW((void)pool.submit([] {}), std::runtime_error);
    pool.shutdown(true); // idempotent
}

TEST(ThreadPoolExecutor, DefaultSizeIsAsyncios) {
    std::size_t cpus = std::max(1U, std::thread::hardware_concurrency());
    EXPECT_EQ(thread_pool_executor::default_max_workers(), std::min<std::size_t>(32, cpus + 4));
}

class RunInExecutor : public test::loop_test {};

TEST_P(RunInExecutor, ResultComesBackOnTheLoopThread) {
    auto loop_thread = std::this_thread::get_id();
    int value = run([](event_loop& loop) -> coro<int> {
        auto worker =
                co_await loop.run_in_executor(nullptr, [] { return std::this_thread::get_id(); });
        EXPECT_NE(worker, std::this_thread::get_id());
        co_return co_await loop.run_in_executor(
                nullptr, [](int x) { return x * 2; }, 21);
    }(loop()));
    EXPECT_EQ(value, 42);
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
}

TEST_P(RunInExecutor, ExceptionCrossesBack) {
    run([](event_loop& loop) -> coro<void> {
        EXPECT_THROW(co_await loop.run_in_executor(
                             nullptr, []() -> std::string { throw std::out_of_range("pool"); }),
                     std::out_of_range);
    }(loop()));
}

TEST_P(RunInExecutor, ExplicitExecutorAndMoveOnlyResult) {
    thread_pool_executor pool(1);
    run([](event_loop& l, thread_pool_executor& executor) -> coro<void> {
        std::unique_ptr<int> p =
                co_await l.run_in_executor(&executor, [] { return std::make_unique<int>(7); });
        EXPECT_EQ(*p, 7);
    }(loop(), pool));
}

TEST_P(RunInExecutor, CancellingTheAwaitLetsTheJobFinish) {
    std::atomic<bool> release{false};
    std::atomic<bool> job_ended{false};
    run([](event_loop& l, std::atomic<bool>& go, std::atomic<bool>& ended) -> coro<void> {
        auto waiter = create_task([](event_loop& inner_loop, std::atomic<bool>& may_end,
                                     std::atomic<bool>& job_done) -> coro<int> {
            co_return co_await inner_loop.run_in_executor(nullptr, [&] {
                while (!may_end.load()) {
                    std::this_thread::sleep_for(1ms);
                }
                job_done = true;
                return 1;
            });
        }(l, go, ended));
        co_await sleep(5ms);
        waiter.cancel();
        EXPECT_THROW(co_await waiter, cancelled_error);
        EXPECT_FALSE(ended.load());
        go = true;
        while (!ended.load()) {
            co_await sleep(1ms);
        }
        co_await sleep(5ms); // the dropped completion reaches the loop
    }(loop(), release, job_ended));
    EXPECT_TRUE(job_ended.load());
}

context_var<std::string> request_id("request_id");

TEST_P(RunInExecutor, ToThreadCopiesTheContext) {
    run([]() -> coro<void> {
        request_id.set("r-1");
        std::string seen = co_await to_thread([] {
            std::string before = request_id.get("none");
            request_id.set("changed in the thread");
            return before;
        });
        EXPECT_EQ(seen, "r-1");
        EXPECT_EQ(request_id.get(), "r-1") << "the thread's change leaked back";
        std::string none = co_await to_thread([] { return request_id.get("none"); });
        EXPECT_EQ(none, "r-1");
    }());
}

TEST_P(RunInExecutor, ToThreadWithArguments) {
    run([]() -> coro<void> {
        int n = co_await to_thread([](int a, const std::string& b) { return a + int(b.size()); }, 1,
                                   std::string("abc"));
        EXPECT_EQ(n, 4);
    }());
}

TEST_P(RunInExecutor, ShutdownDefaultExecutorWaitsForItsThreads) {
    run([](event_loop& loop) -> coro<void> {
        std::atomic<bool> ended{false};
        auto f = loop.run_in_executor(nullptr, [&] {
            std::this_thread::sleep_for(10ms);
            ended = true;
        });
        EXPECT_TRUE(loop.has_default_executor());
        co_await loop.shutdown_default_executor();
        EXPECT_TRUE(ended.load());
        EXPECT_FALSE(loop.has_default_executor());
        EXPECT_THROW((void)loop.run_in_executor(nullptr, [] {}), std::runtime_error);
        co_await f;
    }(loop()));
}

TEST_P(RunInExecutor, ShutdownDefaultExecutorTimeoutLogsAndReturns) {
    std::atomic<bool> release{false};
    run([](event_loop& l, std::atomic<bool>& go) -> coro<void> {
        auto f = l.run_in_executor(nullptr, [&] {
            while (!go.load()) {
                std::this_thread::sleep_for(1ms);
            }
        });
        co_await l.shutdown_default_executor(5ms);
        EXPECT_FALSE(f.done());
        go = true;
        co_await f;
    }(loop(), release));
}

TEST_P(RunInExecutor, SetDefaultExecutor) {
    auto pool = std::make_unique<thread_pool_executor>(1);
    thread_pool_executor* raw = pool.get();
    loop().set_default_executor(std::move(pool));
    EXPECT_EQ(&loop().default_executor(), raw);
    EXPECT_EQ(run([](event_loop& loop) -> coro<int> {
                  co_return co_await loop.run_in_executor(nullptr, [] { return 5; });
              }(loop())),
              5);
}

CORELOOP_ALL_BACKENDS(RunInExecutor);

TEST(RunnerExecutor, CloseShutsTheDefaultExecutorDown) {
    std::atomic<bool> ended{false};
    int n = coreloop::run([](std::atomic<bool>& job_ended) -> coro<int> {
        // Not awaited: the runner's close must still wait for the job's thread.
        (void)get_running_loop().run_in_executor(nullptr, [&] {
            std::this_thread::sleep_for(10ms);
            job_ended = true;
        });
        co_return co_await to_thread([] { return 3; });
    }(ended));
    EXPECT_EQ(n, 3);
    EXPECT_TRUE(ended.load());
}

} // namespace
} // namespace coreloop
