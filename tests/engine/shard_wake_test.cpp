// The wake protocol between shards that sleep and wake in random order, behind a watchdog: a
// lost wake-up fails the test (and the watchdog unsticks the engine) instead of hanging it.
#include <coreloop/engine.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <coreloop/sleep.hpp>
#include <coreloop/submit_to.hpp>
#include <coreloop/task.hpp>

#include "support/engine_test.hpp"
#include "support/sanitizers.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using ShardWake = test::engine_test;

#ifdef CORELOOP_TEST_SANITIZED
constexpr int ping_rounds = 5'000;
#else
constexpr int ping_rounds = 12'000;
#endif

// Fails the test if `progress` stops moving for 5 s, then unsticks the engine (an
// unconditional wake of every shard, then a stop) so the test ends instead of hanging.
class watchdog {
public:
    watchdog(engine& e, const std::atomic<long>& progress, unsigned mains)
        : engine_(e)
        , progress_(progress)
        , mains_(mains)
        , thread_([this] { watch(); }) {}
    watchdog(const watchdog&) = delete;
    watchdog& operator=(const watchdog&) = delete;
    ~watchdog() {
        {
            std::lock_guard lock(mutex_);
            over_ = true;
        }
        thread_.join();
    }

    /// A main is about to return: after the last one, the loops may close, so no more wakes.
    void main_returns() {
        std::lock_guard lock(mutex_);
        ++returned_;
    }
    bool fired() const { return fired_.load(); }
    long progress_after_force_wake() const { return after_wake_.load(); }

private:
    void watch() {
        long last = progress_.load();
        auto last_change = std::chrono::steady_clock::now();
        for (;;) {
            std::this_thread::sleep_for(20ms);
            std::lock_guard lock(mutex_);
            if (over_) {
                return;
            }
            const long now = progress_.load();
            if (now != last) {
                last = now;
                last_change = std::chrono::steady_clock::now();
                continue;
            }
            if (std::chrono::steady_clock::now() - last_change < 5s || fired_ ||
                returned_ == mains_) {
                continue;
            }
            fired_ = true;
            for (shard_id s = 0; s < engine_.shard_count(); ++s) {
                engine_.loop(s).inbox().force_wake();
            }
            std::this_thread::sleep_for(500ms);
            after_wake_ = progress_.load() - now;
            engine_.request_stop();
        }
    }

    engine& engine_;
    const std::atomic<long>& progress_;
    const unsigned mains_;
    std::mutex mutex_;
    bool over_ = false;
    unsigned returned_ = 0;
    std::atomic<bool> fired_{false};
    std::atomic<long> after_wake_{-1};
    std::thread thread_;
};

struct ping_state {
    std::atomic<long> progress{0};
    std::atomic<long> served{0};
    std::optional<watchdog> dog;
};

// Ping partners at random after random short sleeps (often 0, so a partner is often blocked
// in the kernel with no timer at all, waiting for its own reply), sometimes through a relay.
coro<void> pinger(ping_state& st, std::uint32_t seed) {
    struct tell_watchdog {
        ping_state& st;
        ~tell_watchdog() { st.dog->main_returns(); }
    } on_return{st};
    std::mt19937 rng(seed);
    const unsigned n = shard_count();
    const shard_id self = this_shard_id();
    for (int round = 0; round < ping_rounds; ++round) {
        const std::uint32_t pause_us = rng() % 3 == 0 ? 0 : rng() % 200;
        if (pause_us > 0) {
            co_await sleep(std::chrono::microseconds(pause_us));
        }
        const shard_id to = (self + 1 + rng() % (n - 1)) % n;
        if (rng() % 4 == 0) {
            const shard_id relay_to = (to + 1 + rng() % (n - 1)) % n;
            const std::uint32_t relay_pause = rng() % 2 == 0 ? 0 : rng() % 100;
            co_await submit_to(to, [&st, relay_to, relay_pause]() -> coro<void> {
                if (relay_pause > 0) {
                    co_await sleep(std::chrono::microseconds(relay_pause));
                }
                co_await submit_to(relay_to, [&st] { ++st.served; });
            });
        } else {
            co_await submit_to(to, [&st] { ++st.served; });
        }
        ++st.progress;
    }
}

void run_pings(engine_options o) {
    const std::uint32_t seed = test::stress_seed();
    const unsigned n = *o.shards;
    engine e(o);
    ping_state st;
    st.dog.emplace(e, st.progress, n);
    bool stopped = false;
    try {
        e.run_on_all([&st, seed] { return pinger(st, seed + this_shard_id()); });
    } catch (const cancelled_error&) {
        stopped = true; // the watchdog stopped it
    }
    const bool fired = st.dog->fired();
    const long after_wake = st.dog->progress_after_force_wake();
    st.dog.reset();
    EXPECT_FALSE(fired) << "no progress for 5 s: a lost wake-up (progress after an "
                           "unconditional wake of every shard: "
                        << after_wake << ")";
    EXPECT_FALSE(stopped);
    if (!fired) {
        EXPECT_EQ(st.progress.load(), static_cast<long>(n) * ping_rounds);
    }
}

TEST_P(ShardWake, ShardsThatSleepAndWakeAtRandomNeverMissAWakeUp) {
    engine_options o = options(3);
    o.pin = false;
    run_pings(o);
}

TEST_P(ShardWake, WakeUpsThroughOverflowingRings) {
    engine_options o = options(4);
    o.pin = false;
    o.ring_capacity = 1;
    run_pings(o);
}

CORELOOP_ENGINE_BACKENDS(ShardWake);

} // namespace
} // namespace coreloop
