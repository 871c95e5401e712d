#include <coreloop/shield.hpp>

#include <coreloop/sleep.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class Shield : public test::loop_test {};

coro<int> finish_later(bool& finished) {
    co_await sleep(5ms);
    finished = true;
    co_return 1;
}

TEST_P(Shield, OuterCancelLeavesTheInnerRunning) {
    run([]() -> coro<void> {
        bool finished = false;
        task<int> inner = create_task(finish_later(finished));
        auto outer = [](task<int> t) -> coro<int> { co_return co_await shield(t); };
        task<int> waiting = create_task(outer(inner));
        co_await sleep(1ms);
        waiting.cancel();
        EXPECT_THROW(co_await waiting, cancelled_error);
        EXPECT_FALSE(inner.done());
        EXPECT_EQ(co_await inner, 1);
        EXPECT_TRUE(finished);
    }());
}

TEST_P(Shield, ResultAndErrorPassThrough) {
    run([]() -> coro<void> {
        bool finished = false;
        EXPECT_EQ(co_await shield(finish_later(finished)), 1);
        auto failing = []() -> coro<int> {
            co_await sleep(1ms);
            throw std::logic_error("inner failed");
        };
        EXPECT_THROW(co_await shield(failing()), std::logic_error);
    }());
}

TEST_P(Shield, CancelledInnerCancelsTheOuter) {
    run([]() -> coro<void> {
        bool finished = false;
        task<int> inner = create_task(finish_later(finished));
        future<int> outer = shield(inner);
        inner.cancel();
        EXPECT_THROW(co_await outer, cancelled_error);
        EXPECT_TRUE(outer.cancelled());
    }());
}

TEST_P(Shield, DoneInnerIsReturnedAsItIs) {
    run([this]() -> coro<void> {
        future<int> f = loop().create_future<int>();
        f.set_result(3);
        future<int> s = shield(f);
        EXPECT_EQ(s.state(), f.state());
        EXPECT_EQ(co_await s, 3);
    }());
}

TEST_P(Shield, InnerFailingAfterTheOuterWasCancelledIsReportedNotLost) {
    run([]() -> coro<void> {
        auto failing = []() -> coro<int> {
            co_await sleep(5ms);
            throw std::logic_error("late failure");
        };
        auto outer = [](coro<int> c) -> coro<int> { co_return co_await shield(std::move(c)); };
        task<int> waiting = create_task(outer(failing()));
        co_await sleep(1ms);
        waiting.cancel();
        EXPECT_THROW(co_await waiting, cancelled_error);
        co_await sleep(10ms); // the inner fails now, with nobody awaiting it
    }());
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].message, "Task exception was never retrieved");
    EXPECT_THROW(std::rethrow_exception(reports[0].exception), std::logic_error);
    reports.clear();
}

CORELOOP_ALL_BACKENDS(Shield);

} // namespace
} // namespace coreloop
