// invoke_on_all, invoke_on_others, map and map_reduce: every shard is reached (or every other
// one), results come back in shard order, exceptions wait for the other calls, and a cancel
// reaches every call still running.
#include <coreloop/broadcast.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <coreloop/engine.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "support/engine_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using test::eventually;

using Broadcast = test::engine_test;

struct test_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Which shards ran a call: bit s for shard s, and how many calls ran in all.
struct reached {
    std::atomic<unsigned> mask{0};
    std::atomic<int> calls{0};
    void here() {
        mask |= 1U << this_shard_id();
        ++calls;
    }
};

TEST_P(Broadcast, InvokeOnAllReachesEveryShardWithPlainAndCoroFunctions) {
    engine e(options(3));
    reached plain;
    reached coros;
    e.run([&]() -> coro<void> {
        co_await invoke_on_all([&plain] { plain.here(); });
        EXPECT_EQ(plain.mask.load(), 0b111U);
        co_await invoke_on_all([&coros]() -> coro<void> {
            co_await sleep(1ms);
            coros.here();
        });
        EXPECT_EQ(coros.mask.load(), 0b111U);
    });
    EXPECT_EQ(plain.calls.load(), 3);
    EXPECT_EQ(coros.calls.load(), 3);
}

TEST_P(Broadcast, InvokeOnAllSendsEveryCallBeforeItIsAwaited) {
    engine e(options(3));
    reached calls;
    e.run([&]() -> coro<void> {
        coro<void> all = invoke_on_all([&calls] { calls.here(); });
        EXPECT_EQ(calls.mask.load() & 1U, 1U); // this shard's ran inline, at once
        EXPECT_TRUE(co_await eventually([&calls] { return calls.calls.load() == 3; }));
        co_await std::move(all);
    });
    EXPECT_EQ(calls.mask.load(), 0b111U);
}

TEST_P(Broadcast, InvokeOnOthersSkipsTheCallingShard) {
    engine e(options(3));
    reached from_one;
    reached from_zero;
    e.run([&]() -> coro<void> {
        // Called from shard 1, to see that "this shard" is not just shard 0.
        co_await submit_to(1, [&from_one]() -> coro<void> {
            co_await invoke_on_others([&from_one] { from_one.here(); });
        });
        co_await invoke_on_others([&from_zero]() -> coro<void> {
            co_await sleep(1ms);
            from_zero.here();
        });
    });
    EXPECT_EQ(from_one.mask.load(), 0b101U);
    EXPECT_EQ(from_one.calls.load(), 2);
    EXPECT_EQ(from_zero.mask.load(), 0b110U);
    EXPECT_EQ(from_zero.calls.load(), 2);
}

TEST_P(Broadcast, OnOneShardInvokeOnOthersDoesNothing) {
    engine e(options(1));
    reached calls;
    e.run([&]() -> coro<void> { co_await invoke_on_others([&calls] { calls.here(); }); });
    EXPECT_EQ(calls.calls.load(), 0);
}

TEST_P(Broadcast, MapGivesEachShardsResultInShardOrder) {
    engine e(options(3));
    e.run([&]() -> coro<void> {
        std::vector<shard_id> ids = co_await map([]() -> coro<shard_id> {
            // The last shard answers first: the order is the shards', not the replies'.
            co_await sleep(std::chrono::milliseconds(2 * (shard_count() - this_shard_id())));
            co_return this_shard_id();
        });
        EXPECT_EQ(ids, (std::vector<shard_id>{0, 1, 2}));
        // Move-only results are moved home.
        std::vector<std::unique_ptr<int>> boxes =
                co_await map([] { return std::make_unique<int>(10 * this_shard_id()); });
        EXPECT_EQ(boxes.size(), 3U);
        for (std::size_t s = 0; s < boxes.size(); ++s) {
            EXPECT_TRUE(boxes[s] != nullptr && *boxes[s] == static_cast<int>(10 * s));
        }
    });
}

TEST_P(Broadcast, MapReduceFoldsTheResultsInShardOrder) {
    engine e(options(3));
    e.run([&]() -> coro<void> {
        // A fold that is not commutative shows the order.
        std::string joined = co_await map_reduce(
                []() -> coro<std::string> {
                    co_await sleep(std::chrono::milliseconds(2 * (3 - this_shard_id())));
                    co_return std::to_string(this_shard_id());
                },
                std::string("<"), [](std::string acc, std::string v) { return acc + v; });
        EXPECT_EQ(joined, "<012");
        int sum = co_await map_reduce([] { return static_cast<int>(this_shard_id()) + 1; }, 100,
                                      [](int acc, int v) { return acc + v; });
        EXPECT_EQ(sum, 106);
    });
}

TEST_P(Broadcast, TheFirstExceptionInShardOrderIsRethrownOnceAllCallsAreOver) {
    engine e(options(3));
    std::atomic<bool> slow_call_done{false};
    e.run([&]() -> coro<void> {
        bool caught_shard_one = false;
        bool others_were_over = false;
        try {
            co_await invoke_on_all([&]() -> coro<void> {
                switch (this_shard_id()) {
                case 0: // runs longest
                    co_await sleep(20ms);
                    slow_call_done = true;
                    break;
                case 1: // fails after shard 2, but comes first in shard order
                    co_await sleep(5ms);
                    throw test_error("shard 1");
                default:
                    throw std::logic_error("shard 2");
                }
            });
        } catch (const test_error& x) {
            caught_shard_one = std::string(x.what()) == "shard 1";
            others_were_over = slow_call_done.load();
        }
        EXPECT_TRUE(caught_shard_one);
        EXPECT_TRUE(others_were_over) << "rethrown before every call was over";
        bool map_reduce_threw = false;
        try {
            co_await map_reduce(
                    []() -> int {
                        if (this_shard_id() == 2) {
                            throw test_error("mapper");
                        }
                        return 1;
                    },
                    0, [](int acc, int v) { return acc + v; });
        } catch (const test_error& x) {
            map_reduce_threw = std::string(x.what()) == "mapper";
        }
        EXPECT_TRUE(map_reduce_threw);
    });
}

// Counts the calls that started and those that saw their cancellation.
struct cancel_probe {
    std::atomic<int> started{0};
    std::atomic<int> cancelled{0};
    std::array<std::atomic<bool>, 3> cancelled_on{};
};

coro<void> wait_for_cancel(cancel_probe& probe) {
    ++probe.started;
    bool cancelled = false;
    try {
        co_await sleep(1h);
    } catch (const cancelled_error&) {
        cancelled = true;
    }
    if (cancelled) {
        co_await sleep(5ms); // an asynchronous clean-up the awaiter must wait for
        probe.cancelled_on[this_shard_id()] = true;
        ++probe.cancelled;
        throw cancelled_error("cleaned up");
    }
}

coro<void> broadcast_and_wait(cancel_probe& probe, bool others) {
    auto fn = [&probe] { return wait_for_cancel(probe); };
    if (others) {
        co_await invoke_on_others(fn);
    } else {
        co_await invoke_on_all(fn);
    }
}

TEST_P(Broadcast, CancellingTheAwaiterCancelsEveryRemoteCoroutine) {
    engine e(options(3));
    cancel_probe all;
    cancel_probe others;
    e.run([&]() -> coro<void> {
        std::array<cancel_probe*, 2> probes{&all, &others};
        for (cancel_probe* probe : probes) {
            const bool skip_this = probe == &others;
            const int expected = skip_this ? 2 : 3;
            task<void> waiter = create_task(broadcast_and_wait(*probe, skip_this));
            EXPECT_TRUE(co_await eventually([&] { return probe->started.load() == expected; }));
            EXPECT_TRUE(waiter.cancel());
            bool cancelled = false;
            int cancels_seen_then = -1;
            try {
                co_await waiter;
            } catch (const cancelled_error&) {
                cancelled = true;
                cancels_seen_then = probe->cancelled.load();
            }
            EXPECT_TRUE(cancelled);
            EXPECT_EQ(cancels_seen_then, expected) << "resumed before every call was over";
        }
    });
    EXPECT_TRUE(all.cancelled_on[0] && all.cancelled_on[1] && all.cancelled_on[2]);
    EXPECT_TRUE(!others.cancelled_on[0] && others.cancelled_on[1] && others.cancelled_on[2]);
}

TEST_P(Broadcast, ACancelPendingWhenTheCallsAreSentStopsThemAllBeforeTheyStart) {
    engine e(options(3));
    std::atomic<int> ran{0};
    e.run([&]() -> coro<void> {
        current_task().cancel("before the broadcast");
        bool cancelled = false;
        try {
            co_await map_reduce(
                    [&ran]() -> coro<int> {
                        ++ran;
                        co_await sleep(1h);
                        co_return 1;
                    },
                    0, [](int acc, int v) { return acc + v; });
        } catch (const cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        current_task().uncancel();
    });
    EXPECT_EQ(ran.load(), 0);
}

CORELOOP_ENGINE_BACKENDS(Broadcast);

} // namespace
} // namespace coreloop
