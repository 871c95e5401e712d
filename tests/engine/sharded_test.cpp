// sharded<Service>: one instance per shard, built and destroyed on its own shard; stop awaits
// every instance's async stop before any is destroyed; calls reach the right instance; a
// failed start cleans up; a sharded destroyed while started leaks and says so.
#include <coreloop/sharded.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <coreloop/engine.hpp>
#include <coreloop/log.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "support/engine_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using Sharded = test::engine_test;

struct test_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Where each shard's instance was built, stopped and destroyed (-1: not yet), and how many
// stops had finished, everywhere, when each was destroyed.
struct journal {
    std::array<std::atomic<int>, 3> built_on{-1, -1, -1};
    std::array<std::atomic<int>, 3> stopped_on{-1, -1, -1};
    std::array<std::atomic<int>, 3> destroyed_on{-1, -1, -1};
    std::array<std::atomic<int>, 3> stops_done_at_destruction{-1, -1, -1};
    std::atomic<int> stops_done{0};
    std::atomic<int> live{0};
};

// A service with an asynchronous stop that takes longer on lower shards.
class counter_service {
public:
    counter_service(journal& j, int base, std::string name)
        : journal_(j)
        , home_(this_shard_id())
        , base_(base)
        , name_(std::move(name)) {
        journal_.built_on[home_] = static_cast<int>(this_shard_id());
        ++journal_.live;
    }
    ~counter_service() {
        journal_.destroyed_on[home_] = static_cast<int>(this_shard_id());
        journal_.stops_done_at_destruction[home_] = journal_.stops_done.load();
        --journal_.live;
    }

    coro<void> stop() {
        co_await sleep(std::chrono::milliseconds(3 * (3 - home_)));
        journal_.stopped_on[home_] = static_cast<int>(this_shard_id());
        ++journal_.stops_done;
    }

    int add(int n) { return count_ += n; }
    shard_id home() const { return home_; }
    int base() const { return base_; }
    const std::string& name() const { return name_; }

private:
    journal& journal_;
    shard_id home_;
    int base_;
    std::string name_;
    int count_ = 0;
};

// A service with no stop(): it is only destroyed.
struct plain_service {
    explicit plain_service(journal& j)
        : journal_(j) {
        journal_.built_on[this_shard_id()] = static_cast<int>(this_shard_id());
        ++journal_.live;
    }
    ~plain_service() {
        journal_.destroyed_on[this_shard_id()] = static_cast<int>(this_shard_id());
        --journal_.live;
    }
    journal& journal_;
};

TEST_P(Sharded, StartBuildsAnInstanceOnEveryShardFromCopiesOfTheArguments) {
    engine e(options(3));
    journal j;
    e.run([&]() -> coro<void> {
        sharded<counter_service> s;
        EXPECT_FALSE(s.local_is_initialized());
        // A name longer than std::string's inline buffer: each shard's copy owns heap memory.
        co_await s.start(std::ref(j), 7, std::string(40, 'n'));
        EXPECT_EQ(j.live.load(), 3);
        EXPECT_TRUE(s.local_is_initialized());
        EXPECT_EQ(s.local().home(), 0U);
        auto homes = co_await s.map_reduce(
                [](counter_service& c) {
                    return std::to_string(c.home()) + c.name() + std::to_string(c.base());
                },
                std::string(), [](std::string acc, std::string v) { return acc + v + ";"; });
        const std::string n(40, 'n');
        EXPECT_EQ(homes, "0" + n + "7;1" + n + "7;2" + n + "7;");
        co_await s.stop();
    });
    for (int shard = 0; shard < 3; ++shard) {
        EXPECT_EQ(j.built_on[shard].load(), shard);
    }
    EXPECT_EQ(j.live.load(), 0);
}

TEST_P(Sharded, StopAwaitsEveryAsyncStopThenDestroysEachOnItsShard) {
    engine e(options(3));
    journal j;
    e.run([&]() -> coro<void> {
        sharded<counter_service> s;
        co_await s.start(std::ref(j), 0, std::string("svc"));
        co_await s.stop();
        EXPECT_EQ(j.stops_done.load(), 3);
        EXPECT_EQ(j.live.load(), 0) << "stop() returned before every instance was destroyed";
        EXPECT_FALSE(s.local_is_initialized());
        EXPECT_THROW(s.local(), std::logic_error);
        co_await s.stop(); // a stopped sharded is left as it is
    });
    for (int shard = 0; shard < 3; ++shard) {
        EXPECT_EQ(j.stopped_on[shard].load(), shard);
        EXPECT_EQ(j.destroyed_on[shard].load(), shard);
        // Every instance was stopped before the first was destroyed.
        EXPECT_EQ(j.stops_done_at_destruction[shard].load(), 3);
    }
}

TEST_P(Sharded, AServiceWithoutStopIsDestroyedOnItsShard) {
    engine e(options(3));
    journal j;
    e.run([&]() -> coro<void> {
        sharded<plain_service> s;
        co_await s.start(std::ref(j));
        EXPECT_EQ(j.live.load(), 3);
        co_await s.stop();
        EXPECT_EQ(j.live.load(), 0);
    });
    for (int shard = 0; shard < 3; ++shard) {
        EXPECT_EQ(j.built_on[shard].load(), shard);
        EXPECT_EQ(j.destroyed_on[shard].load(), shard);
    }
}

TEST_P(Sharded, LocalThrowsBeforeStart) {
    engine e(options(2));
    e.run([&]() -> coro<void> {
        sharded<plain_service> s;
        EXPECT_THROW(s.local(), std::logic_error);
        bool threw = false;
        try {
            co_await s.invoke_on(1, [](plain_service&) { return 1; });
        } catch (const std::logic_error&) {
            threw = true;
        }
        EXPECT_TRUE(threw);
    });
}

TEST_P(Sharded, InvokeOnGivesTheResultOfThatShardsInstance) {
    engine e(options(3));
    journal j;
    e.run([&]() -> coro<void> {
        sharded<counter_service> s;
        co_await s.start(std::ref(j), 0, std::string("svc"));
        EXPECT_EQ(co_await s.invoke_on(2, [](counter_service& c) { return c.add(5); }), 5);
        EXPECT_EQ(co_await s.invoke_on(2, [](counter_service& c) { return c.add(1); }), 6);
        shard_id home = co_await s.invoke_on(1, [](counter_service& c) -> coro<shard_id> {
            co_await sleep(1ms);
            co_return c.home();
        });
        EXPECT_EQ(home, 1U);
        bool threw = false;
        try {
            co_await s.invoke_on(1, [](counter_service&) -> int { throw test_error("on 1"); });
        } catch (const test_error&) {
            threw = true;
        }
        EXPECT_TRUE(threw);
        // invoke_on_all reaches each instance once; map_reduce sees the sums.
        co_await s.invoke_on_all([](counter_service& c) { c.add(static_cast<int>(c.home())); });
        int total = co_await s.map_reduce([](counter_service& c) { return c.add(0); }, 0,
                                          [](int acc, int v) { return acc + v; });
        EXPECT_EQ(total, 0 + 1 + (6 + 2));
        co_await s.stop();
    });
}

// A service that fails to build on shard 1.
struct fragile_service {
    explicit fragile_service(journal& j)
        : journal_(j) {
        if (this_shard_id() == 1) {
            throw test_error("cannot build on shard 1");
        }
        ++journal_.live;
    }
    ~fragile_service() {
        journal_.destroyed_on[this_shard_id()] = static_cast<int>(this_shard_id());
        --journal_.live;
    }
    coro<void> stop() {
        co_await sleep(1ms);
        ++journal_.stops_done;
    }
    journal& journal_;
};

TEST_P(Sharded, AFailedStartStopsAndDestroysTheInstancesBuilt) {
    engine e(options(3));
    journal j;
    e.run([&]() -> coro<void> {
        sharded<fragile_service> s;
        bool threw = false;
        try {
            co_await s.start(std::ref(j));
        } catch (const test_error&) {
            threw = true;
        }
        EXPECT_TRUE(threw);
        EXPECT_EQ(j.live.load(), 0);
        EXPECT_EQ(j.stops_done.load(), 2);
        EXPECT_FALSE(s.local_is_initialized());
    });
    EXPECT_EQ(j.destroyed_on[0].load(), 0);
    EXPECT_EQ(j.destroyed_on[1].load(), -1);
    EXPECT_EQ(j.destroyed_on[2].load(), 2);
}

// A service whose stop() waits until it is cancelled.
struct stubborn_service {
    explicit stubborn_service(journal& j)
        : journal_(j) {
        ++journal_.live;
    }
    ~stubborn_service() {
        journal_.destroyed_on[this_shard_id()] = static_cast<int>(this_shard_id());
        --journal_.live;
    }
    coro<void> stop() {
        ++journal_.stops_done; // counts the stops begun here
        try {
            co_await sleep(1h);
        } catch (const cancelled_error&) {
            journal_.stopped_on[this_shard_id()] = static_cast<int>(this_shard_id());
            throw;
        }
    }
    journal& journal_;
};

coro<void> stop_it(sharded<stubborn_service>& s) {
    co_await s.stop();
}

TEST_P(Sharded, CancellingStopCancelsEveryAsyncStopAndStillDestroysTheInstances) {
    engine e(options(3));
    journal j;
    e.run([&]() -> coro<void> {
        sharded<stubborn_service> s;
        co_await s.start(std::ref(j));
        task<void> stopper = create_task(stop_it(s));
        bool all_began = false;
        for (int i = 0; i < 10000 && !all_began; ++i) {
            co_await sleep(100us);
            all_began = j.stops_done.load() == 3;
        }
        EXPECT_TRUE(all_began);
        EXPECT_TRUE(stopper.cancel());
        bool cancelled = false;
        try {
            co_await stopper;
        } catch (const cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        EXPECT_EQ(j.live.load(), 0);
        EXPECT_FALSE(s.local_is_initialized());
    });
    for (int shard = 0; shard < 3; ++shard) {
        EXPECT_EQ(j.stopped_on[shard].load(), shard) << "shard " << shard << " saw no cancel";
        EXPECT_EQ(j.destroyed_on[shard].load(), shard);
    }
}

TEST_P(Sharded, StartSingleBuildsOnlyOnShardZero) {
    engine e(options(3));
    journal j;
    e.run([&]() -> coro<void> {
        sharded<plain_service> s;
        co_await submit_to(1, [&]() -> coro<void> {
            co_await s.start_single(std::ref(j)); // started from shard 1, built on shard 0
            EXPECT_FALSE(s.local_is_initialized());
            EXPECT_EQ(j.live.load(), 1);
            int calls = co_await s.map_reduce([](plain_service&) { return 1; }, 0,
                                              [](int acc, int v) { return acc + v; });
            EXPECT_EQ(calls, 1);
            co_await s.stop();
        });
    });
    EXPECT_EQ(j.built_on[0].load(), 0);
    EXPECT_EQ(j.built_on[1].load(), -1);
    EXPECT_EQ(j.destroyed_on[0].load(), 0);
    EXPECT_EQ(j.live.load(), 0);
}

// A service that asks its peer on the next shard for its shard id.
class ring_service : public peering_sharded_service<ring_service> {
public:
    coro<shard_id> next_peer_home() {
        const shard_id next = (this_shard_id() + 1) % shard_count();
        co_return co_await container().invoke_on(next,
                                                 [](ring_service&) { return this_shard_id(); });
    }
};

TEST_P(Sharded, PeeringServicesReachTheirContainer) {
    engine e(options(3));
    e.run([&]() -> coro<void> {
        sharded<ring_service> s;
        co_await s.start();
        EXPECT_EQ(&s.local().container(), &s);
        std::string peers = co_await s.map_reduce(
                [](ring_service& r) { return r.next_peer_home(); }, std::string(),
                [](std::string acc, shard_id v) { return acc + std::to_string(v); });
        EXPECT_EQ(peers, "120");
        co_await s.stop();
    });
}

TEST_P(Sharded, DestroyingAStartedShardedLeaksTheInstancesAndLogsAnError) {
    engine e(options(2));
    journal j;
    std::mutex m;
    std::vector<std::string> errors;
    log_sink old = set_log_sink([&](log_level level, std::string_view line) {
        if (level == log_level::error && line.find("sharded") != std::string_view::npos) {
            std::lock_guard lock(m);
            errors.emplace_back(line);
        }
    });
    e.run([&]() -> coro<void> {
        {
            sharded<plain_service> s;
            co_await s.start(std::ref(j));
        } // no stop()
        co_return;
    });
    set_log_sink(std::move(old));
    EXPECT_EQ(j.live.load(), 2) << "a leaked instance was destroyed";
    EXPECT_EQ(j.destroyed_on[0].load(), -1);
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_NE(errors[0].find("stop() was not awaited"), std::string::npos) << errors[0];
}

CORELOOP_ENGINE_BACKENDS(Sharded);

} // namespace
} // namespace coreloop
