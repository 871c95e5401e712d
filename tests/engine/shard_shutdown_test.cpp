// An engine with cross-shard work in flight everywhere (long remote tasks awaited and dropped,
// bursts through rings of one) stops promptly and frees every message.
#include <coreloop/engine.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include <coreloop/sleep.hpp>
#include <coreloop/submit_to.hpp>
#include <coreloop/task.hpp>

#include "support/engine_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using ShardShutdown = test::engine_test;
using test::tracked;

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

TEST_P(ShardShutdown, StopsPromptlyWithCrossShardWorkInFlightEverywhere) {
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

CORELOOP_ENGINE_BACKENDS(ShardShutdown);

} // namespace
} // namespace coreloop
