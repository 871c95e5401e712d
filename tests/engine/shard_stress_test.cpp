// Cross-shard stress: every call runs exactly once under overflowing rings and random cancels.
// (The wake protocol is in shard_wake_test.cpp, shutdown with work in flight in
// shard_shutdown_test.cpp.)
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
#include "support/sanitizers.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using test::tracked;

using ShardStress = test::engine_test;

#ifdef CORELOOP_TEST_SANITIZED
constexpr std::uint32_t messages_per_shard = 20'000;
#else
constexpr std::uint32_t messages_per_shard = 35'000; // 140,000 on 4 shards, 105,000 on 3
#endif

struct stress_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

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
    const std::uint32_t seed = test::stress_seed();
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

CORELOOP_ENGINE_BACKENDS(ShardStress);

} // namespace
} // namespace coreloop
