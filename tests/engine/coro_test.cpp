// coro<T>: laziness, inline awaiting (no loop iteration), deep await chains by symmetric
// transfer, frames freed when never awaited, move semantics.
#include <coreloop/coro.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <coreloop/detail/frame_allocator.hpp>
#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class Coro : public test::loop_test {};

struct test_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

coro<void> set_flag(bool& flag) {
    flag = true;
    co_return;
}

coro<int> plus_one(int v) {
    co_return v + 1;
}

coro<int> nested(int depth) {
    if (depth == 0) {
        co_return 0;
    }
    co_return 1 + co_await nested(depth - 1);
}

coro<void> throws_at_once() {
    throw test_error("thrown before any suspension");
    co_return;
}

coro<int> holds(std::shared_ptr<int> resource) {
    co_return *resource;
}

TEST_P(Coro, DoesNotRunUntilAwaited) {
    run([]() -> coro<void> {
        bool ran = false;
        coro<void> c = set_flag(ran);
        EXPECT_FALSE(ran);
        co_await sleep(0s);
        EXPECT_FALSE(ran) << "a coro started on its own";
        co_await std::move(c);
        EXPECT_TRUE(ran);
    }());
}

TEST_P(Coro, AwaitRunsInlineWithoutALoopIteration) {
    run([this]() -> coro<void> {
        bool callback_ran = false;
        loop().call_soon([&callback_ran] { callback_ran = true; });
        int v = co_await plus_one(1);
        v = co_await plus_one(v);
        EXPECT_EQ(v, 3);
        EXPECT_FALSE(callback_ran) << "awaiting a coro went through the loop";
        co_await sleep(0s);
        EXPECT_TRUE(callback_ran);
    }());
}

TEST_P(Coro, RunsInTheAwaitingTask) {
    run([]() -> coro<void> {
        any_task outer = current_task();
        auto inner = []() -> coro<any_task> { co_return current_task(); };
        any_task seen = co_await inner();
        EXPECT_TRUE(seen == outer);
    }());
}

TEST_P(Coro, DeepAwaitChainDoesNotOverflowTheStack) {
    int depth = run([]() -> coro<int> { co_return co_await nested(10000); }());
    EXPECT_EQ(depth, 10000);
}

TEST_P(Coro, ManySequentialAwaits) {
    int total = run([]() -> coro<int> {
        int v = 0;
        for (int i = 0; i < 100000; ++i) {
            v = co_await plus_one(v);
        }
        co_return v;
    }());
    EXPECT_EQ(total, 100000);
}

TEST_P(Coro, ExceptionComesOutOfTheAwait) {
    run([]() -> coro<void> {
        EXPECT_THROW(co_await throws_at_once(), test_error);
        coro<void> c = throws_at_once(); // creating it does not run (or throw) anything
        EXPECT_THROW(co_await std::move(c), test_error);
    }());
}

TEST_P(Coro, NeverAwaitedCoroFreesItsFrame) {
    auto before = detail::live_frames();
    auto resource = std::make_shared<int>(5);
    {
        coro<int> c = holds(resource);
        EXPECT_GT(detail::live_frames(), before);
        EXPECT_EQ(resource.use_count(), 2); // the parameter lives in the frame
    }
    EXPECT_EQ(detail::live_frames(), before);
    EXPECT_EQ(resource.use_count(), 1);
}

TEST_P(Coro, NeverAwaitedCoroInsideATaskFreesItsFrame) {
    run([]() -> coro<void> {
        auto resource = std::make_shared<int>(5);
        { coro<int> unused = holds(resource); }
        EXPECT_EQ(resource.use_count(), 1);
        co_return;
    }());
}

TEST_P(Coro, MoveTransfersOwnership) {
    run([]() -> coro<void> {
        coro<int> a = plus_one(1);
        EXPECT_TRUE(a);
        coro<int> b = std::move(a);
        EXPECT_FALSE(a); // NOLINT(bugprone-use-after-move): checking the moved-from state
        EXPECT_TRUE(b);
        EXPECT_EQ(co_await std::move(b), 2);
    }());
}

TEST_P(Coro, MoveAssignmentDestroysTheOldFrame) {
    auto before = detail::live_frames();
    auto first = std::make_shared<int>(1);
    auto second = std::make_shared<int>(2);
    {
        coro<int> a = holds(first);
        coro<int> b = holds(second);
        a = std::move(b);
        EXPECT_EQ(first.use_count(), 1) << "the overwritten coro's frame is still alive";
        EXPECT_EQ(second.use_count(), 2);
        coro<int>& alias = a; // a self-move through an alias keeps the frame
        a = std::move(alias);
        EXPECT_TRUE(a);
        EXPECT_EQ(second.use_count(), 2);
    }
    EXPECT_EQ(second.use_count(), 1);
    EXPECT_EQ(detail::live_frames(), before);
}

TEST_P(Coro, DefaultConstructedCoroIsEmpty) {
    coro<int> c;
    EXPECT_FALSE(c);
    coro<void> v;
    EXPECT_FALSE(v);
}

TEST_P(Coro, MoveOnlyResult) {
    run([]() -> coro<void> {
        auto make = []() -> coro<std::unique_ptr<std::string>> {
            co_return std::make_unique<std::string>("moved");
        };
        std::unique_ptr<std::string> p = co_await make();
        EXPECT_TRUE(p && *p == "moved");
    }());
}

TEST_P(Coro, CoroBecomesATaskWithoutRunningFirst) {
    run([]() -> coro<void> {
        bool ran = false;
        task<> t = create_task(set_flag(ran));
        EXPECT_FALSE(ran) << "create_task ran the coroutine inline";
        co_await t;
        EXPECT_TRUE(ran);
    }());
}

TEST_P(Coro, ReleasedCoroIsEmpty) {
    coro<int> c = plus_one(1);
    auto h = c.release();
    EXPECT_FALSE(c);
    h.destroy();
}

CORELOOP_ALL_BACKENDS(Coro);

} // namespace
} // namespace coreloop
