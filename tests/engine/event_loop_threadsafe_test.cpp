// event_loop::call_soon_threadsafe: the multi-producer inbox and the wake protocol, with
// foreign threads posting to a loop that is busy, asleep with no timers, or closing.
#include <coreloop/event_loop.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include <coreloop/sleep.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class CallSoonThreadsafe : public test::loop_test {};

// Posts loop.stop() after `limit` unless disarmed: a lost wake-up then fails the test (the
// watchdog's own post finds the loop asleep with its flag set) instead of hanging it.
class watchdog {
public:
    watchdog(event_loop& loop, std::chrono::milliseconds limit)
        : thread_([this, &loop, limit](std::stop_token stop) {
            auto deadline = std::chrono::steady_clock::now() + limit;
            while (!stop.stop_requested() && std::chrono::steady_clock::now() < deadline) {
                std::this_thread::sleep_for(1ms);
            }
            if (!stop.stop_requested()) {
                fired_.store(true);
                loop.call_soon_threadsafe([&loop] { loop.stop(); });
            }
        }) {}
    bool fired() const { return fired_.load(); }

private:
    std::atomic<bool> fired_{false};
    std::jthread thread_; // last: stopped and joined before fired_ goes
};

TEST_P(CallSoonThreadsafe, RunsEveryCallFromManyThreadsOnceInOrder) {
    constexpr int producers = 4;
    constexpr int calls = 10000;
    std::array<std::vector<int>, producers> seen; // written on the loop's thread only
    std::atomic<int> finished{0};
    watchdog guard(loop(), 10s);
    {
        std::vector<std::jthread> threads;
        for (int p = 0; p < producers; ++p) {
            threads.emplace_back([&, p] {
                for (int i = 0; i < calls; ++i) {
                    loop().call_soon_threadsafe([&seen, p, i] { seen[p].push_back(i); });
                }
                loop().call_soon_threadsafe([&] {
                    if (++finished == producers) {
                        loop().stop();
                    }
                });
            });
        }
        loop().run_forever();
    }
    EXPECT_FALSE(guard.fired());
    for (int p = 0; p < producers; ++p) {
        ASSERT_EQ(seen[p].size(), static_cast<std::size_t>(calls)) << "producer " << p;
        for (int i = 0; i < calls; ++i) {
            ASSERT_EQ(seen[p][i], i) << "producer " << p;
        }
    }
}

TEST_P(CallSoonThreadsafe, WakesALoopBlockedWithNoTimers) {
    watchdog guard(loop(), 5s);
    std::atomic<int> ran{0};
    std::jthread producer([&] {
        std::this_thread::sleep_for(20ms); // the loop is asleep in the reactor by now
        loop().call_soon_threadsafe([&] {
            ++ran;
            loop().stop();
        });
    });
    loop().run_forever();
    EXPECT_FALSE(guard.fired()) << "lost wake-up";
    EXPECT_EQ(ran.load(), 1);
}

TEST_P(CallSoonThreadsafe, PassesArgumentsAndWorksFromTheLoopThread) {
    int sum = 0;
    loop().call_soon_threadsafe([&sum](int a, int b) { sum = a + b; }, 2, 3);
    loop().call_soon_threadsafe([this] { loop().stop(); });
    loop().run_forever();
    EXPECT_EQ(sum, 5);
}

TEST_P(CallSoonThreadsafe, PostedCallbacksRunAfterThoseAlreadyReady) {
    std::vector<int> order;
    loop().call_soon([&] { order.push_back(1); });
    loop().call_soon_threadsafe([&] { order.push_back(2); });
    loop().call_soon([&] { order.push_back(3); });
    loop().call_soon_threadsafe([this] { loop().stop(); });
    loop().run_forever();
    EXPECT_EQ(order, (std::vector<int>{1, 3, 2}));
}

TEST_P(CallSoonThreadsafe, ExceptionGoesToTheHandler) {
    loop().call_soon_threadsafe([] { throw std::runtime_error("posted failure"); });
    loop().call_soon_threadsafe([this] { loop().stop(); });
    loop().run_forever();
    ASSERT_EQ(reports.size(), 1U);
    reports.clear();
}

TEST_P(CallSoonThreadsafe, ClosedLoopThrowsAndPendingCallbacksAreDroppedUnrun) {
    auto token = std::make_shared<int>(0);
    bool ran = false;
    loop().call_soon_threadsafe([token, &ran] { ran = true; });
    EXPECT_EQ(token.use_count(), 2);
    loop().close();
    EXPECT_FALSE(ran);
    EXPECT_EQ(token.use_count(), 1) << "the dropped callback was not destroyed";
    std::jthread foreign(
            [&] { EXPECT_THROW(loop().call_soon_threadsafe([] {}), std::runtime_error); });
}

// The wake protocol under load: the loop sleeps (no timers, or short ones) and wakes in
// random order while producers post with random pauses, some waiting for each callback to
// run before posting again (so the loop is asleep for the next post). A lost wake-up shows as
// a producer whose callback does not run within a second.
TEST_P(CallSoonThreadsafe, StressSleepAndWakeInRandomOrder) {
    constexpr int producers = 3;
    constexpr int calls = 3000;
    std::array<std::atomic<int>, producers> ran{};
    std::array<int, producers> next{}; // loop thread: the next expected index per producer
    std::atomic<int> out_of_order{0};
    std::atomic<int> lost{0};
    std::atomic<int> finished{0};
    watchdog guard(loop(), 20s);
    std::mt19937 loop_rng(7);
    // A timer now and then, so the loop also sleeps with a timeout, not only without one.
    std::function<void()> tick = [&] {
        if (finished.load() < producers) {
            loop().call_later(std::chrono::microseconds(loop_rng() % 500), tick);
        }
    };
    loop().call_soon(tick);
    auto deadline = std::chrono::steady_clock::now() + 2s;
    {
        std::vector<std::jthread> threads;
        for (int p = 0; p < producers; ++p) {
            threads.emplace_back([&, p] {
                std::mt19937 rng(100 + p);
                for (int i = 0; i < calls && std::chrono::steady_clock::now() < deadline; ++i) {
                    loop().call_soon_threadsafe([&, p, i] {
                        if (next[p] != i) {
                            ++out_of_order;
                        }
                        next[p] = i + 1;
                        ran[p].store(i + 1, std::memory_order_release);
                    });
                    if (rng() % 2 == 0) {
                        auto limit = std::chrono::steady_clock::now() + 1s;
                        while (ran[p].load(std::memory_order_acquire) <= i) {
                            if (std::chrono::steady_clock::now() > limit) {
                                ++lost;
                                break;
                            }
                            std::this_thread::yield();
                        }
                    }
                    if (auto pause = rng() % 64; pause < 8) {
                        std::this_thread::sleep_for(std::chrono::microseconds(pause * 20));
                    }
                }
                loop().call_soon_threadsafe([&] {
                    if (++finished == producers) {
                        loop().stop();
                    }
                });
            });
        }
        loop().run_forever();
    }
    EXPECT_FALSE(guard.fired());
    EXPECT_EQ(lost.load(), 0) << "a posted callback waited a second for a wake-up";
    EXPECT_EQ(out_of_order.load(), 0);
    for (int p = 0; p < producers; ++p) {
        EXPECT_EQ(ran[p].load(), next[p]);
        EXPECT_GT(next[p], 0);
    }
}

CORELOOP_ALL_BACKENDS(CallSoonThreadsafe);

} // namespace
} // namespace coreloop
