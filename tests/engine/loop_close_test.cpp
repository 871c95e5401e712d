// event_loop::close() with work still queued: nothing is run, everything is freed, pending
// tasks are reported, and no queued node is touched after its frame is gone.
#include <coreloop/event_loop.hpp>

#include <string>
#include <vector>

#include <coreloop/sleep.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class LoopClose : public test::loop_test {};

coro<void> forever() {
    co_await sleep(1h);
}

coro<void> await_task(task<void> t) {
    co_await t;
}

TEST_P(LoopClose, UnstartedTasksStillQueuedAreReportedAndFreed) {
    {
        task<void> first = loop().create_task(forever());
        (void)loop().create_task(await_task(first)); // queued too, holding `first`
        (void)loop().create_task(forever());
    }
    loop().close();
    ASSERT_EQ(reports.size(), 3U);
    for (const auto& r : reports) {
        EXPECT_EQ(r.message, "Task was destroyed but it is pending!");
    }
    reports.clear();
}

TEST_P(LoopClose, TasksWokenDuringTheCloseAreFreedToo) {
    run([]() -> coro<void> {
        task<void> sleeper = create_task(forever());
        // A chain: each waiter is woken (queued) when the task it awaits is ended by close().
        task<void> waiter = create_task(await_task(sleeper));
        (void)create_task(await_task(waiter));
        co_await sleep(1ms);
    }());
    loop().close();
    EXPECT_EQ(reports.size(), 3U);
    reports.clear();
}

TEST_P(LoopClose, CallbacksStillQueuedAreDroppedUnrun) {
    bool ran = false;
    loop().call_soon([&] { ran = true; });
    (void)loop().call_later(1h, [&] { ran = true; });
    loop().close();
    EXPECT_FALSE(ran);
}

CORELOOP_ALL_BACKENDS(LoopClose);

} // namespace
} // namespace coreloop
