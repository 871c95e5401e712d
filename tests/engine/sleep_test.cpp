// sleep(): yields exactly once for a zero or negative delay, waits at least the delay, returns
// an optional value, and runs on virtual time without wall-clock cost.
#include <coreloop/sleep.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <coreloop/event_loop.hpp>
#include <coreloop/task.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class Sleep : public test::loop_test {};

coro<void> ping(std::vector<std::string>& log, std::string who, int times) {
    for (int i = 0; i < times; ++i) {
        log.push_back(who + std::to_string(i));
        co_await sleep(0s);
    }
}

TEST_P(Sleep, SleepZeroInterleavesTasks) {
    run([]() -> coro<void> {
        std::vector<std::string> log;
        task<> a = create_task(ping(log, "a", 3));
        task<> b = create_task(ping(log, "b", 3));
        co_await a;
        co_await b;
        EXPECT_EQ(log, (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}));
    }());
}

TEST_P(Sleep, SleepZeroYieldsExactlyOnce) {
    run([this]() -> coro<void> {
        bool first = false;
        bool second = false;
        loop().call_soon([&] {
            first = true;
            loop().call_soon([&] { second = true; });
        });
        co_await sleep(0s);
        // One iteration passed: the callback ready before the yield ran, the one it
        // scheduled did not.
        EXPECT_TRUE(first);
        EXPECT_FALSE(second);
        co_await sleep(0s);
        EXPECT_TRUE(second);
    }());
}

TEST_P(Sleep, NegativeSleepYieldsOnce) {
    run([this]() -> coro<void> {
        bool ran = false;
        loop().call_soon([&] { ran = true; });
        co_await sleep(-5ms);
        EXPECT_TRUE(ran);
    }());
}

TEST_P(Sleep, SleepWaitsAtLeastTheDelay) {
    run([]() -> coro<void> {
        auto start = std::chrono::steady_clock::now();
        co_await sleep(5ms);
        EXPECT_GE(std::chrono::steady_clock::now() - start, 5ms);
    }());
}

TEST_P(Sleep, SleepWithAValueReturnsIt) {
    run([]() -> coro<void> {
        std::string s = co_await sleep(1ms, std::string("value"));
        EXPECT_EQ(s, "value");
        int n = co_await sleep(0s, 42);
        EXPECT_EQ(n, 42);
    }());
}

TEST_P(Sleep, LongSleepWithVirtualTime) {
    options.virtual_time = true;
    make_loop();
    auto wall = std::chrono::steady_clock::now();
    run(
            [this]() -> coro<void> {
                auto start = loop().time();
                co_await sleep(1h);
                EXPECT_GE(loop().time() - start, 1h);
            }(),
            std::chrono::hours(2)); // the watchdog runs on virtual time too
    EXPECT_LT(std::chrono::steady_clock::now() - wall, 1s);
}

CORELOOP_ALL_BACKENDS(Sleep);

} // namespace
} // namespace coreloop
