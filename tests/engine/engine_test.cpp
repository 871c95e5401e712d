// engine: shards start pinned (or unpinned, and say so), run their mains, serve foreign threads
// (concurrent_future with timeouts and cancel), and stop cleanly on return, on an exception, on
// request_stop and on SIGINT/SIGTERM, with work still pending.
#include <coreloop/engine.hpp>

#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <coreloop/log.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/submit_to.hpp>

#include "shard/placement.hpp"
#include "support/engine_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using Engine = test::engine_test;

TEST_P(Engine, RunsMainOnShardZeroAndGivesItsValue) {
    engine e(options(2));
    int value = e.run([]() -> coro<int> {
        EXPECT_EQ(this_shard_id(), 0U);
        EXPECT_EQ(shard_count(), 2U);
        co_return 42;
    });
    EXPECT_EQ(value, 42);
    EXPECT_EQ(this_shard_id(), 0U);
    EXPECT_EQ(shard_count(), 1U); // the calling thread is no shard any more
}

TEST_P(Engine, RunsOnEveryShardAndGivesResultsByShard) {
    engine e(options(3));
    std::vector<shard_id> ids = e.run_on_all([]() -> coro<shard_id> {
        co_await sleep(1ms);
        co_return this_shard_id();
    });
    EXPECT_EQ(ids, (std::vector<shard_id>{0, 1, 2}));
}

TEST_P(Engine, EveryShardRunsOnTheCpuItIsPinnedTo) {
    engine e(options(std::nullopt));
    ASSERT_GE(e.shard_count(), 1U);
    std::vector<int> where = e.run_on_all([&e]() -> coro<int> {
        co_await sleep(1ms); // a few iterations on the pinned thread
        co_return sched_getcpu() == e.cpu_of(this_shard_id()) ? 1 : 0;
    });
    for (shard_id s = 0; s < e.shard_count(); ++s) {
        EXPECT_GE(e.cpu_of(s), 0) << "shard " << s << " runs unpinned";
        EXPECT_EQ(where[s], 1) << "shard " << s << " is not on CPU " << e.cpu_of(s);
    }
}

TEST_P(Engine, ACpusetListChoosesTheCpus) {
    engine_options o = options(std::nullopt);
    o.cpuset = "0";
    engine e(o);
    EXPECT_EQ(e.shard_count(), 1U);
    EXPECT_EQ(e.cpu_of(0), 0);
    EXPECT_EQ(e.run([]() -> coro<int> { co_return sched_getcpu(); }), 0);
}

TEST_P(Engine, BadOptionsAreRefusedClearly) {
    engine_options o = options(std::nullopt);
    o.cpuset = "zero-two";
    EXPECT_THROW(engine{o}, std::invalid_argument);
    o.cpuset = "4096";
    EXPECT_THROW(engine{o}, std::invalid_argument);
    o = options(0);
    EXPECT_THROW(engine{o}, std::invalid_argument);
    o = options(2);
    o.ring_capacity = 3;
    EXPECT_THROW(engine{o}, std::invalid_argument);
}

TEST_P(Engine, MoreShardsThanCpusRunUnpinned) {
    const unsigned cpus = static_cast<unsigned>(std::thread::hardware_concurrency());
    engine e(options(cpus + 2));
    EXPECT_EQ(e.cpu_of(0), -1);
    auto ids = e.run_on_all([]() -> coro<shard_id> { co_return this_shard_id(); });
    EXPECT_EQ(ids.size(), cpus + 2);
}

TEST_P(Engine, RefusedPinningRunsUnpinnedAndSaysSoOnce) {
    std::mutex lines_mutex;
    std::vector<std::string> lines;
    log_sink old = set_log_sink([&](log_level, std::string_view line) {
        std::lock_guard lock(lines_mutex);
        lines.emplace_back(line);
    });
    detail::simulate_pin_refusal(true);
    for (int run = 0; run < 2; ++run) {
        engine e(options(2));
        auto pinned = e.run_on_all([&e]() -> coro<int> { co_return e.cpu_of(this_shard_id()); });
        EXPECT_EQ(pinned, (std::vector<int>{-1, -1}));
    }
    detail::simulate_pin_refusal(false);
    set_log_sink(std::move(old));
    ASSERT_EQ(lines.size(), 1U) << "two engines, two shards each: one message";
    EXPECT_NE(lines[0].find("unpinned"), std::string::npos) << lines[0];
}

TEST_P(Engine, AnExceptionInMainStopsTheEngineAndIsRethrown) {
    engine e(options(2));
    EXPECT_THROW(e.run([]() -> coro<int> {
        co_await sleep(1ms);
        throw std::runtime_error("main failed");
    }),
                 std::runtime_error);
}

TEST_P(Engine, TheFirstExceptionOnAnyShardCancelsTheOtherMains) {
    engine e(options(3));
    std::atomic<int> cancelled{0};
    std::atomic<int> waiting{0};
    auto main = [&cancelled, &waiting]() -> coro<void> {
        if (this_shard_id() == 2) {
            // Fail only once the other mains wait: a main cancelled before its first step
            // never runs its body (3 shards on 2 loaded CPUs may start late).
            while (waiting.load() < 2) {
                co_await sleep(1ms);
            }
            throw std::logic_error("shard 2 failed");
        }
        try {
            ++waiting;
            co_await sleep(1h);
        } catch (const cancelled_error&) {
            ++cancelled;
            throw;
        }
    };
    EXPECT_THROW(e.run_on_all(main), std::logic_error);
    EXPECT_EQ(cancelled.load(), 2);
}

TEST_P(Engine, RequestStopFromAForeignThreadCancelsMain) {
    engine e(options(2));
    std::jthread stopper([&e] {
        std::this_thread::sleep_for(20ms);
        e.request_stop();
    });
    EXPECT_THROW(e.run([]() -> coro<void> { co_await sleep(1h); }), cancelled_error);
}

TEST_P(Engine, SigtermStopsCleanlyWithSystemExit) {
    engine e(options(2));
    std::atomic<bool> cleaned_up{false};
    EXPECT_THROW(e.run([&cleaned_up]() -> coro<void> {
        try {
            co_await submit_to(1, []() -> coro<void> {
                kill(getpid(), SIGTERM);
                co_await sleep(1h);
            });
        } catch (const cancelled_error&) {
            cleaned_up = true;
            throw;
        }
    }),
                 system_exit);
    EXPECT_TRUE(cleaned_up.load());
}

// A main that ignores its cancellation keeps the engine from stopping; a second signal then
// ends the process, as a second Ctrl-C ends asyncio.run.
TEST_P(Engine, ASecondSignalWhileStoppingEndsTheProcess) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
            {
                engine e(options(2));
                e.run([]() -> coro<void> {
                    kill(getpid(), SIGTERM);
                    for (;;) {
                        try {
                            co_await sleep(1h);
                        } catch (const cancelled_error&) {
                            kill(getpid(), SIGTERM);
                        }
                    }
                });
            },
            ::testing::KilledBySignal(SIGTERM), "second signal");
}

TEST_P(Engine, SigintStopsCleanlyWithKeyboardInterrupt) {
    engine e(options(2));
    EXPECT_THROW(e.run([]() -> coro<void> {
        kill(getpid(), SIGINT);
        co_await sleep(1h);
    }),
                 keyboard_interrupt);
}

TEST_P(Engine, StopsWithCrossShardWorkPendingEverywhere) {
    engine e(options(3));
    std::atomic<int> started{0};
    std::atomic<int> cancelled{0};
    e.run([&]() -> coro<void> {
        // Every shard sends long calls to every other, some awaited, some dropped, and keeps
        // background tasks; main returns while all of it is pending.
        for (shard_id s = 0; s < shard_count(); ++s) {
            (void)submit_to(s, [&]() -> coro<void> {
                for (shard_id t = 0; t < shard_count(); ++t) {
                    (void)submit_to(t, [&]() -> coro<void> {
                        ++started;
                        try {
                            co_await sleep(1h);
                        } catch (const cancelled_error&) {
                            ++cancelled;
                            throw;
                        }
                    });
                }
                co_await sleep(1h);
            });
        }
        while (started.load() < 9) {
            co_await sleep(1ms);
        }
    });
    EXPECT_EQ(started.load(), 9);
    EXPECT_EQ(cancelled.load(), 9);
}

TEST_P(Engine, ForeignThreadsReachEveryShard) {
    engine e(options(2));
    std::atomic<int> posted_on{-1};
    std::atomic<bool> foreign_done{false};
    e.run([&]() -> coro<void> {
        std::jthread foreign([&] {
            e.call_soon_threadsafe(1, [&] { posted_on = static_cast<int>(this_shard_id()); });
            auto f = e.run_coroutine_threadsafe(1, []() -> coro<shard_id> {
                co_await sleep(1ms);
                co_return this_shard_id();
            });
            EXPECT_EQ(f.result(5s), 1U);
            foreign_done = true;
        });
        while (posted_on.load() < 0 || !foreign_done.load()) {
            co_await sleep(1ms);
        }
    });
    EXPECT_EQ(posted_on.load(), 1);
    EXPECT_THROW(e.call_soon_threadsafe(1, [] {}), std::runtime_error); // closed
}

TEST_P(Engine, IdlePollingShardsStillAnswerAndKeepTheirTimers) {
    engine_options o = options(2);
    o.idle_poll = 2ms;
    engine e(o);
    const auto start = std::chrono::steady_clock::now();
    int sum = e.run([]() -> coro<int> {
        int total = 0;
        for (int i = 0; i < 100; ++i) {
            total += co_await submit_to(1, [i] { return i; });
        }
        co_await sleep(10ms); // longer than idle_poll: the shard polls, then blocks
        total += co_await submit_to(1, []() -> coro<int> {
            co_await sleep(1ms);
            co_return 50;
        });
        co_return total;
    });
    EXPECT_EQ(sum, 4950 + 50);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 11ms);
}

TEST_P(Engine, AForeignThreadWaitsWithATimeoutAndCancelsAcrossShards) {
    engine e(options(2));
    std::atomic<bool> foreign_done{false};
    std::atomic<bool> slow_started{false};
    std::atomic<bool> slow_saw_cancel{false};
    std::atomic<bool> remote_saw_cancel{false};
    std::atomic<bool> chained_started{false};
    e.run([&]() -> coro<void> {
        std::jthread foreign([&] {
            auto quick = e.run_coroutine_threadsafe(1, []() -> coro<int> {
                co_await sleep(50ms);
                co_return static_cast<int>(this_shard_id()) + 5;
            });
            EXPECT_THROW(quick.result(1ms), timeout_error);
            EXPECT_FALSE(quick.done());
            EXPECT_EQ(quick.result(10s), 6);

            auto slow = e.run_coroutine_threadsafe(1, [&]() -> coro<int> {
                slow_started = true;
                try {
                    co_await sleep(1h);
                } catch (const cancelled_error&) {
                    slow_saw_cancel = true;
                    throw;
                }
                co_return 0;
            });
            EXPECT_THROW(slow.result(5ms), timeout_error);
            while (!slow_started.load()) {
                std::this_thread::sleep_for(1ms);
            }
            EXPECT_TRUE(slow.cancel());
            EXPECT_TRUE(slow.cancelled());
            EXPECT_THROW(slow.result(1s), cancelled_error);

            // A task on shard 1 awaiting a call to shard 0: the foreign cancel goes on to it.
            auto chained = e.run_coroutine_threadsafe(1, [&]() -> coro<int> {
                co_return co_await submit_to(0, [&]() -> coro<int> {
                    chained_started = true;
                    try {
                        co_await sleep(1h);
                    } catch (const cancelled_error&) {
                        remote_saw_cancel = true;
                        throw;
                    }
                    co_return 1;
                });
            });
            while (!chained_started.load()) {
                std::this_thread::sleep_for(1ms);
            }
            EXPECT_THROW(chained.result(1ms), timeout_error);
            EXPECT_TRUE(chained.cancel());
            EXPECT_THROW(chained.result(1s), cancelled_error);
            foreign_done = true;
        });
        const auto give_up = std::chrono::steady_clock::now() + 20s;
        while ((!foreign_done.load() || !slow_saw_cancel.load() || !remote_saw_cancel.load()) &&
               std::chrono::steady_clock::now() < give_up) {
            co_await sleep(1ms);
        }
    });
    EXPECT_TRUE(foreign_done.load());
    EXPECT_TRUE(slow_saw_cancel.load());
    EXPECT_TRUE(remote_saw_cancel.load());
}

TEST_P(Engine, RunsOnce) {
    engine e(options(1));
    e.run([]() -> coro<void> { co_return; });
    EXPECT_THROW(e.run([]() -> coro<void> { co_return; }), std::runtime_error);
}

CORELOOP_ENGINE_BACKENDS(Engine);

} // namespace
} // namespace coreloop
