#include <coreloop/task.hpp>

#include <string>
#include <vector>

#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class EagerTask : public test::loop_test {};

coro<int> immediate(std::vector<std::string>& log) {
    log.push_back("eager body, task " + current_task().get_name());
    co_return 5;
}

coro<int> suspends(std::vector<std::string>& log) {
    log.push_back("before suspension");
    co_await sleep(0ms);
    log.push_back("after suspension");
    co_return 6;
}

TEST_P(EagerTask, FinishingBeforeSuspendingIsDoneInsideCreateTask) {
    run([]() -> coro<void> {
        std::vector<std::string> log;
        task<int> t = create_task(immediate(log), {.name = "quick", .eager_start = true});
        EXPECT_TRUE(t.done()) << "an eager task that never suspends ends inside create_task";
        EXPECT_EQ(log, std::vector<std::string>{"eager body, task quick"});
        EXPECT_EQ(t.result(), 5);
        EXPECT_EQ(current_task().get_name(), "test-main") << "the creator is current again";
        co_return;
    }());
}

TEST_P(EagerTask, SuspendingRunsTheRestLater) {
    run([]() -> coro<void> {
        std::vector<std::string> log;
        task<int> t = create_task(suspends(log), {.name = {}, .eager_start = true});
        EXPECT_EQ(log, std::vector<std::string>{"before suspension"});
        EXPECT_FALSE(t.done());
        EXPECT_EQ(co_await t, 6);
        EXPECT_EQ(log.back(), "after suspension");
    }());
}

TEST_P(EagerTask, LazyTaskRunsOnlyOnTheNextIteration) {
    run([]() -> coro<void> {
        std::vector<std::string> log;
        task<int> t = create_task(immediate(log));
        EXPECT_TRUE(log.empty());
        EXPECT_EQ(co_await t, 5);
    }());
}

TEST_P(EagerTask, LoopFactoryMakesTasksEagerByDefault) {
    EXPECT_EQ(loop().get_task_factory(), lazy_task_factory);
    loop().set_task_factory(eager_task_factory);
    EXPECT_EQ(loop().get_task_factory(), eager_task_factory);
    run([]() -> coro<void> {
        std::vector<std::string> log;
        task<int> eager = create_task(immediate(log));
        EXPECT_TRUE(eager.done());
        task<int> lazy = create_task(immediate(log), {.name = {}, .eager_start = false});
        EXPECT_FALSE(lazy.done());
        EXPECT_EQ(co_await lazy, 5);
    }());
}

TEST_P(EagerTask, ImmediateFailureIsKeptForTheAwaiter) {
    run([]() -> coro<void> {
        auto failing = [](bool fail) -> coro<int> {
            if (fail) {
                throw std::logic_error("at once");
            }
            co_return 0;
        };
        task<int> t = create_task(failing(true), {.name = {}, .eager_start = true});
        EXPECT_TRUE(t.done());
        EXPECT_THROW(co_await t, std::logic_error);
    }());
}

CORELOOP_ALL_BACKENDS(EagerTask);

} // namespace
} // namespace coreloop
