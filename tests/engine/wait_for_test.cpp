#include <coreloop/wait_for.hpp>

#include <coreloop/sleep.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class WaitFor : public test::loop_test {};

coro<int> value_after(std::chrono::milliseconds delay, int value) {
    co_await sleep(delay);
    co_return value;
}

// Sleeps for an hour; records that its cleanup ran when cancelled.
coro<int> slow(bool& cleaned_up) {
    try {
        co_await sleep(1h);
    } catch (const cancelled_error&) {
        cleaned_up = true;
        throw;
    }
    co_return 0;
}

// Swallows the first cancel and returns 7 (an inner that suppresses cancellation).
coro<int> stubborn() {
    try {
        co_await sleep(1h);
    } catch (const cancelled_error&) {
    }
    co_return 7;
}

TEST_P(WaitFor, ResultBeforeTheDeadline) {
    EXPECT_EQ(run([]() -> coro<int> { co_return co_await wait_for(value_after(1ms, 3), 1h); }()),
              3);
}

TEST_P(WaitFor, CoroutineIsAwaitedInline) {
    EXPECT_EQ(run([]() -> coro<int> { co_return co_await wait_for(value_after(0ms, 4), 1s); }()),
              4);
}

TEST_P(WaitFor, ExpiryCancelsTheInnerAndWaitsForIt) {
    run([]() -> coro<void> {
        bool cleaned_up = false;
        task<int> inner = create_task(slow(cleaned_up));
        EXPECT_THROW(co_await wait_for(inner, 10ms), timeout_error);
        EXPECT_TRUE(cleaned_up) << "wait_for returned before the inner ended";
        EXPECT_TRUE(inner.cancelled());
        EXPECT_EQ(current_task().cancelling(), 0U);
    }());
}

TEST_P(WaitFor, InnerSuppressingTheCancelGivesItsValue) {
    EXPECT_EQ(
            run([]() -> coro<int> { co_return co_await wait_for(create_task(stubborn()), 5ms); }()),
            7);
}

TEST_P(WaitFor, InnerErrorPassesThrough) {
    run([]() -> coro<void> {
        auto failing = []() -> coro<void> {
            co_await sleep(1ms);
            throw std::logic_error("inner failed");
        };
        EXPECT_THROW(co_await wait_for(failing(), 1h), std::logic_error);
    }());
}

TEST_P(WaitFor, NoDeadlineWaitsAsLongAsItTakes) {
    EXPECT_EQ(run([]() -> coro<int> {
                  co_return co_await wait_for(value_after(5ms, 9), std::nullopt);
              }()),
              9);
}

TEST_P(WaitFor, ZeroDelayOnADoneTaskGivesItsResult) {
    EXPECT_EQ(run([this]() -> coro<int> {
                  future<int> f = loop().create_future<int>();
                  f.set_result(11);
                  co_return co_await wait_for(f, 0s);
              }()),
              11);
}

TEST_P(WaitFor, ZeroDelayOnAPendingTaskCancelsItAndTimesOut) {
    run([]() -> coro<void> {
        bool cleaned_up = false;
        task<int> inner = create_task(slow(cleaned_up));
        co_await sleep(0ms); // let it start
        EXPECT_THROW(co_await wait_for(inner, -1s), timeout_error);
        EXPECT_TRUE(inner.cancelled());
        EXPECT_TRUE(cleaned_up);
    }());
}

TEST_P(WaitFor, CancellingTheCallerCancelsTheInner) {
    run([]() -> coro<void> {
        bool cleaned_up = false;
        auto caller = [](bool& flag) -> coro<int> { co_return co_await wait_for(slow(flag), 1h); };
        task<int> t = create_task(caller(cleaned_up));
        co_await sleep(1ms);
        t.cancel();
        EXPECT_THROW(co_await t, cancelled_error);
        EXPECT_TRUE(cleaned_up);
    }());
}

CORELOOP_ALL_BACKENDS(WaitFor);

} // namespace
} // namespace coreloop
