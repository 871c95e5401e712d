// Cross-shard stress: exactly-once delivery under overflowing rings and random cancels, the
// wake protocol between shards that sleep and wake at random, shutdown with work in flight,
// and concurrent_future from a foreign thread.
#include <coreloop/engine.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <coreloop/sleep.hpp>
#include <coreloop/submit_to.hpp>
#include <coreloop/task.hpp>
#include <coreloop/wait_for.hpp>

#include "support/engine_test.hpp"

using namespace std::chrono_literals;

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define CORELOOP_STRESS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define CORELOOP_STRESS_SANITIZED 1
#endif
#endif

namespace coreloop {
namespace {

using test::tracked;

using ShardStress = test::engine_test;

#ifdef CORELOOP_STRESS_SANITIZED
constexpr std::uint32_t messages_per_shard = 20'000;
constexpr int ping_rounds = 5'000;
#else
constexpr std::uint32_t messages_per_shard = 35'000; // 140,000 on 4 shards, 105,000 on 3
constexpr int ping_rounds = 12'000;
#endif

struct stress_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::uint32_t test_seed() {
    static const std::uint32_t seed = [] {
        const std::uint32_t s = std::random_device{}();
        std::printf("shard stress seed: %u\n", s); // NOLINT(cppcoreguidelines-pro-type-vararg)
        return s;
    }();
    return seed;
}

// --- (a) exactly-once delivery -----------------------------------------------------------

enum class how : std::uint8_t { awaited, dropped, wait_for, task_cancel };
enum class outcome : std::uint8_t {
    none,
    value,
    error,
    cancelled,
    unexpected_cancel,
    never_awaited, // a child task cancelled before its first step: the call was only dropped
};

// What one shard sent (written by that shard only, read by the test after the run).
struct sent_log {
    std::vector<shard_id> target;
    std::vector<std::uint8_t> is_coro;
    std::vector<std::uint8_t> throws;
    std::vector<how> mode;
    std::vector<outcome> result;
    std::uint32_t next_seq = 0;
};

// What one shard executed, by sender and sequence number (written by that shard only).
struct executed_log {
    std::vector<std::vector<std::uint8_t>> started;   // [from][seq]
    std::vector<std::vector<std::uint8_t>> completed; // [from][seq], coro bodies that ended
};

struct stress_state {
    explicit stress_state(unsigned n)
        : sent(n)
        , executed(n) {
        for (auto& log : sent) {
            log.target.resize(messages_per_shard);
            log.is_coro.resize(messages_per_shard);
            log.throws.resize(messages_per_shard);
            log.mode.resize(messages_per_shard);
            log.result.resize(messages_per_shard, outcome::none);
        }
        for (auto& log : executed) {
            log.started.assign(n, std::vector<std::uint8_t>(messages_per_shard, 0));
            log.completed.assign(n, std::vector<std::uint8_t>(messages_per_shard, 0));
        }
    }
    std::vector<sent_log> sent;         // [from]
    std::vector<executed_log> executed; // [target]
    std::atomic<int> wrong_shard{0};
    std::atomic<int> wrong_value{0};
    std::atomic<long> dropped_outstanding{0};
    std::atomic<unsigned> senders_done{0};
};

std::uint64_t value_of(shard_id from, std::uint32_t seq) {
    return (static_cast<std::uint64_t>(from) << 32) | seq;
}

// The call carried to the target: records its execution there, maybe yields (coro), maybe
// throws, and gives (from, seq) back.
struct stress_call {
    stress_state* st;
    shard_id from;
    shard_id to;
    std::uint32_t seq;
    bool throws;
    bool dropped;
    tracked t;

    std::uint64_t start() const {
        if (this_shard_id() != to) {
            ++st->wrong_shard;
        }
        ++st->executed[to].started[from][seq];
        return value_of(from, seq);
    }
    void finish_dropped() const {
        if (dropped) {
            --st->dropped_outstanding;
        }
    }
};

submission<std::uint64_t> send_plain(const stress_call& c) {
    return submit_to(c.to, [c] {
        const std::uint64_t v = c.start();
        c.finish_dropped();
        if (c.throws) {
            throw stress_error("requested");
        }
        return v;
    });
}

submission<std::uint64_t> send_coro(const stress_call& c, int yields) {
    return submit_to(c.to, [c, yields]() -> coro<std::uint64_t> {
        const std::uint64_t v = c.start();
        for (int i = 0; i < yields; ++i) {
            co_await sleep(i == 2 ? std::chrono::microseconds(30) : std::chrono::microseconds(0));
        }
        ++c.st->executed[c.to].completed[c.from][c.seq];
        c.finish_dropped();
        if (c.throws) {
            throw stress_error("requested");
        }
        co_return v;
    });
}

// wait_for takes a coro, task or future, not a submission: this coro awaits it inline.
coro<std::uint64_t> await_submission(submission<std::uint64_t> s) {
    co_return co_await std::move(s);
}

// A child task's await: the outcome is recorded by the child itself, so a value it received
// counts even if the task then ends cancelled by the re-armed cancel.
coro<void> await_in_child(submission<std::uint64_t> s,
                          outcome& result,
                          std::uint64_t expected,
                          std::atomic<int>& wrong_value) {
    try {
        const std::uint64_t v = co_await std::move(s);
        result = outcome::value;
        if (v != expected) {
            ++wrong_value;
        }
    } catch (const stress_error&) {
        result = outcome::error;
    } catch (const cancelled_error&) {
        result = outcome::cancelled;
        throw;
    }
}

// Awaits one submission as its mode says and records the outcome.
coro<void> settle(stress_state& st,
                  shard_id self,
                  std::uint32_t seq,
                  submission<std::uint64_t> s,
                  std::mt19937& rng) {
    sent_log& log = st.sent[self];
    const std::uint64_t expected = value_of(self, seq);
    outcome& result = log.result[seq];
    switch (log.mode[seq]) {
    case how::dropped:
        co_return;
    case how::awaited:
        try {
            const std::uint64_t v = co_await std::move(s);
            result = outcome::value;
            if (v != expected) {
                ++st.wrong_value;
            }
        } catch (const stress_error&) {
            result = outcome::error;
        } catch (const cancelled_error&) {
            result = outcome::unexpected_cancel;
        }
        co_return;
    case how::wait_for:
        try {
            const auto limit = std::chrono::microseconds(rng() % 40);
            auto w = wait_for(await_submission(std::move(s)), limit == 0us ? 1us : limit);
            const std::uint64_t v = co_await std::move(w);
            result = outcome::value;
            if (v != expected) {
                ++st.wrong_value;
            }
        } catch (const stress_error&) {
            result = outcome::error;
        } catch (const timeout_error&) {
            result = outcome::cancelled;
        } catch (const cancelled_error&) {
            result = outcome::unexpected_cancel;
        }
        co_return;
    case how::task_cancel: {
        task<void> child =
                create_task(await_in_child(std::move(s), result, expected, st.wrong_value));
        const int yields = static_cast<int>(rng() % 3);
        for (int i = 0; i < yields; ++i) {
            co_await sleep(0ms);
        }
        child.cancel();
        try {
            co_await child;
        } catch (const cancelled_error&) {
            // recorded by the child (or it never started: then result stays none)
        }
        if (result == outcome::none) {
            // Cancelled before its first step: it never awaited the call, which was sent
            // eagerly and runs as a dropped one does (unless the engine stops first).
            result = outcome::never_awaited;
        }
        co_return;
    }
    }
}

// One sender task: windows of 1-6 eager submissions to random other shards, then settles them.
coro<void> sender(stress_state& st, shard_id self, std::uint32_t seed) {
    std::mt19937 rng(seed);
    sent_log& log = st.sent[self];
    const unsigned n = shard_count();
    std::vector<std::pair<std::uint32_t, submission<std::uint64_t>>> window;
    while (log.next_seq < messages_per_shard) {
        const std::uint32_t burst = 1 + rng() % 6;
        for (std::uint32_t i = 0; i < burst && log.next_seq < messages_per_shard; ++i) {
            const std::uint32_t seq = log.next_seq++;
            const shard_id to = (self + 1 + rng() % (n - 1)) % n;
            const std::uint32_t dice = rng() % 100;
            const how mode = dice < 60   ? how::awaited
                             : dice < 72 ? how::dropped
                             : dice < 86 ? how::wait_for
                                         : how::task_cancel;
            const bool is_coro = rng() % 100 < 40;
            const bool throws = rng() % 100 < 5;
            log.target[seq] = to;
            log.is_coro[seq] = is_coro ? 1 : 0;
            log.throws[seq] = throws ? 1 : 0;
            log.mode[seq] = mode;
            if (mode == how::dropped) {
                ++st.dropped_outstanding;
            }
            const stress_call c{&st, self, to, seq, throws, mode == how::dropped, tracked()};
            window.emplace_back(seq, is_coro ? send_coro(c, static_cast<int>(rng() % 4))
                                             : send_plain(c));
        }
        for (auto& [seq, s] : window) {
            co_await settle(st, self, seq, std::move(s), rng);
        }
        window.clear();
    }
}

coro<void> stress_main(stress_state& st, std::uint32_t seed) {
    const shard_id self = this_shard_id();
    std::vector<task<void>> senders;
    for (std::uint32_t i = 0; i < 4; ++i) {
        senders.push_back(create_task(sender(st, self, seed * 131 + self * 17 + i)));
    }
    for (auto& t : senders) {
        co_await t;
    }
    // Keep serving the other shards until every sender is done and every dropped call ran.
    ++st.senders_done;
    while (st.senders_done.load() < shard_count() || st.dropped_outstanding.load() > 0) {
        co_await sleep(100us);
    }
}

void check_exactly_once(const stress_state& st, unsigned n) {
    long values = 0;
    long errors = 0;
    long cancelled = 0;
    long cancelled_unstarted = 0;
    long cancelled_started = 0;
    long dropped = 0;
    int failures = 0;
    auto fail = [&failures](const std::string& what) {
        if (++failures <= 10) {
            ADD_FAILURE() << what;
        }
    };
    for (shard_id from = 0; from < n; ++from) {
        const sent_log& log = st.sent[from];
        EXPECT_EQ(log.next_seq, messages_per_shard);
        for (std::uint32_t seq = 0; seq < messages_per_shard; ++seq) {
            const shard_id to = log.target[seq];
            const int started = st.executed[to].started[from][seq];
            const int completed = st.executed[to].completed[from][seq];
            static constexpr const char* mode_names[] = {"awaited", "dropped", "wait_for",
                                                         "task.cancel"};
            const std::string id = std::string(log.is_coro[seq] != 0 ? "coro" : "plain") +
                                   " call (" + std::to_string(from) + ", " + std::to_string(seq) +
                                   ") to shard " + std::to_string(to) + ", " +
                                   mode_names[static_cast<int>(log.mode[seq])] + ",";
            for (shard_id other = 0; other < n; ++other) {
                if (other != to && st.executed[other].started[from][seq] != 0) {
                    fail(id + " also ran on shard " + std::to_string(other));
                }
            }
            switch (log.result[seq]) {
            case outcome::value:
                ++values;
                if (started != 1 || (log.is_coro[seq] != 0 && completed != 1)) {
                    fail(id + " gave a value but ran " + std::to_string(started) + " times");
                }
                break;
            case outcome::error:
                ++errors;
                if (started != 1 || log.throws[seq] == 0) {
                    fail(id + " gave an error but ran " + std::to_string(started) + " times");
                }
                break;
            case outcome::cancelled:
                ++cancelled;
                (started == 0 ? cancelled_unstarted : cancelled_started) += 1;
                if (started > 1 || completed != 0 || (log.is_coro[seq] == 0 && started != 0)) {
                    fail(id + " was cancelled but started " + std::to_string(started) +
                         " times and completed " + std::to_string(completed));
                }
                break;
            case outcome::never_awaited:
                if (started > 1) {
                    fail(id + " was dropped and ran " + std::to_string(started) + " times");
                }
                break;
            case outcome::unexpected_cancel:
                fail(id + " was awaited plainly and ended with cancelled_error");
                break;
            case outcome::none:
                if (log.mode[seq] != how::dropped) {
                    fail(id + " was never settled");
                } else {
                    ++dropped;
                    if (started != 1) {
                        fail(id + " was dropped and ran " + std::to_string(started) + " times");
                    }
                }
                break;
            }
        }
    }
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(st.wrong_shard.load(), 0);
    EXPECT_EQ(st.wrong_value.load(), 0);
    EXPECT_EQ(st.dropped_outstanding.load(), 0);
    EXPECT_GT(values, 0);
    EXPECT_GT(errors, 0);
    EXPECT_GT(dropped, 0);
    EXPECT_GT(cancelled, 0);
    std::printf("values %ld, errors %ld, dropped %ld, cancelled %ld (%ld before starting)\n",
                values, errors, dropped, cancelled,
                cancelled_unstarted); // NOLINT(cppcoreguidelines-pro-type-vararg)
    (void)cancelled_started;
}

void run_exactly_once(engine_options o) {
    const std::uint32_t seed = test_seed();
    stress_state st(*o.shards);
    engine e(o);
    const auto began = std::chrono::steady_clock::now();
    e.run_on_all([&st, seed]() { return stress_main(st, seed); });
    const auto took = std::chrono::steady_clock::now() - began;
    check_exactly_once(st, *o.shards);
    EXPECT_EQ(tracked::live.load(), 0) << "messages leaked";
    std::printf("took %lld ms\n", // NOLINT(cppcoreguidelines-pro-type-vararg)
                static_cast<long long>(
                        std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
}

TEST_P(ShardStress, EveryCallRunsExactlyOnceThroughRingsOfOne) {
    engine_options o = options(4);
    o.pin = false;
    o.ring_capacity = 1;
    run_exactly_once(o);
}

TEST_P(ShardStress, EveryCallRunsExactlyOnceThroughRingsOfTwo) {
    engine_options o = options(3);
    o.pin = false;
    o.ring_capacity = 2;
    run_exactly_once(o);
}

// --- (b) the wake protocol ---------------------------------------------------------------

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
    const std::uint32_t seed = test_seed();
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

TEST_P(ShardStress, ShardsThatSleepAndWakeAtRandomNeverMissAWakeUp) {
    engine_options o = options(3);
    o.pin = false;
    run_pings(o);
}

TEST_P(ShardStress, WakeUpsThroughOverflowingRings) {
    engine_options o = options(4);
    o.pin = false;
    o.ring_capacity = 1;
    run_pings(o);
}

// --- (c) shutdown with work in flight ----------------------------------------------------

struct shutdown_state {
    std::atomic<int> long_started{0};
    std::atomic<int> long_cancelled{0};
    std::atomic<int> notes_sent{0};
    std::atomic<int> notes_received{0};
    std::atomic<int> burst_ran{0};
    std::atomic<int> background_cancelled{0};
    std::atomic<bool> all_started{false};
};

// A long task on `to` that, when cancelled, notifies `note_to` with a dropped call.
submission<void> long_call(shutdown_state& st, shard_id to, shard_id note_to) {
    return submit_to(to, [&st, note_to, t = tracked()]() -> coro<void> {
        ++st.long_started;
        try {
            co_await sleep(1h);
        } catch (const cancelled_error&) {
            ++st.long_cancelled;
            ++st.notes_sent;
            (void)submit_to(note_to, [&st, t2 = tracked()] { ++st.notes_received; });
            throw;
        }
    });
}

coro<void> keep_awaiting(shutdown_state& st, submission<void> s) {
    try {
        co_await std::move(s);
    } catch (const cancelled_error&) {
        ++st.background_cancelled;
        throw;
    }
}

coro<void> shutdown_main(shutdown_state& st) {
    const unsigned n = shard_count();
    const shard_id self = this_shard_id();
    for (shard_id to = 0; to < n; ++to) {
        if (to == self) {
            continue;
        }
        const shard_id note_to = (to + 1) % n;
        // Awaited by background tasks, and dropped.
        (void)create_task(keep_awaiting(st, long_call(st, to, note_to)));
        (void)long_call(st, to, note_to);
        // A burst that overflows the ring of one.
        for (int i = 0; i < 200; ++i) {
            (void)submit_to(to, [&st, t = tracked()] { ++st.burst_ran; });
        }
    }
    while (!st.all_started.load()) {
        co_await sleep(100us);
    }
}

TEST_P(ShardStress, StopsPromptlyWithCrossShardWorkInFlightEverywhere) {
    engine_options o = options(4);
    o.pin = false;
    o.ring_capacity = 1;
    const unsigned n = *o.shards;
    const int long_calls = static_cast<int>(n * (n - 1) * 2);
    shutdown_state st;
    engine e(o);
    std::jthread starter([&] {
        while (st.long_started.load() < long_calls) {
            std::this_thread::sleep_for(1ms);
        }
        st.all_started = true;
    });
    const auto began = std::chrono::steady_clock::now();
    // The mains return (shard 0's first is enough to stop) with everything still pending.
    e.run_on_all([&st] { return shutdown_main(st); });
    const auto took = std::chrono::steady_clock::now() - began;
    EXPECT_LT(took, 5s);
    EXPECT_EQ(st.long_started.load(), long_calls);
    EXPECT_EQ(st.long_cancelled.load(), long_calls);
    EXPECT_EQ(st.burst_ran.load(), static_cast<int>(n * (n - 1) * 200));
    EXPECT_LE(st.notes_received.load(), st.notes_sent.load());
    EXPECT_EQ(tracked::live.load(), 0) << "messages leaked at shutdown";
    EXPECT_EQ(st.background_cancelled.load(), long_calls / 2);
}

// --- (d) concurrent_future from a foreign thread ------------------------------------------

TEST_P(ShardStress, AForeignThreadWaitsWithATimeoutAndCancelsAcrossShards) {
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

CORELOOP_ENGINE_BACKENDS(ShardStress);

} // namespace
} // namespace coreloop
