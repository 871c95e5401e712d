// spsc_ring and spsc_sender: single-thread semantics at small capacities, then two-thread
// stress runs that check exact order (no loss, no duplicate) under a deadline.
#include <coreloop/detail/spsc_ring.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <coreloop/detail/atomic.hpp>
#include <coreloop/detail/overflow_queue.hpp>

#include "support/sanitizers.hpp"

namespace {

using coreloop::detail::spsc_ring;
using coreloop::detail::spsc_sender;
using item = std::uintptr_t;
using clock_type = std::chrono::steady_clock;

// A bug must fail the stress tests, not hang them: well under ctest's 60 s TIMEOUT.
constexpr auto stress_deadline = std::chrono::seconds(20);

TEST(SpscRing, StartsEmpty) {
    spsc_ring<item> ring(4);
    item out = 99;
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(ring.size_approx(), 0U);
    EXPECT_FALSE(ring.try_pop(out));
    EXPECT_EQ(out, 99U);
    std::array<item, 4> buf{};
    EXPECT_EQ(ring.pop_batch(buf), 0U);
}

TEST(SpscRing, FillsToCapacityThenRefuses) {
    spsc_ring<item> ring(4);
    for (item i = 0; i < 4; ++i) {
        EXPECT_TRUE(ring.try_push(i));
    }
    EXPECT_FALSE(ring.try_push(4));
    EXPECT_EQ(ring.size_approx(), 4U);
    EXPECT_FALSE(ring.empty());
    item out = 0;
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out, 0U);
    EXPECT_TRUE(ring.try_push(4)); // one slot freed, one slot reused
    EXPECT_FALSE(ring.try_push(5));
    for (item want = 1; want <= 4; ++want) {
        ASSERT_TRUE(ring.try_pop(out));
        EXPECT_EQ(out, want);
    }
    EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, CapacityTwoWrapsManyTimesInOrder) {
    spsc_ring<item> ring(2);
    item next_in = 0;
    item next_out = 0;
    for (int round = 0; round < 1000; ++round) {
        // Alternate between one and two items in flight so both slots take every role.
        const int fill = 1 + round % 2;
        for (int i = 0; i < fill; ++i) {
            ASSERT_TRUE(ring.try_push(next_in++));
        }
        if (fill == 2) {
            EXPECT_FALSE(ring.try_push(next_in));
        }
        item out = 0;
        for (int i = 0; i < fill; ++i) {
            ASSERT_TRUE(ring.try_pop(out));
            ASSERT_EQ(out, next_out++);
        }
        EXPECT_TRUE(ring.empty());
    }
    EXPECT_EQ(next_out, next_in);
}

TEST(SpscRing, BatchPushReturnsPartialCountWhenNearlyFull) {
    spsc_ring<item> ring(8);
    const std::array<item, 5> first{0, 1, 2, 3, 4};
    EXPECT_EQ(ring.try_push_batch(first), 5U);
    const std::array<item, 5> second{5, 6, 7, 8, 9};
    EXPECT_EQ(ring.try_push_batch(second), 3U); // only 5, 6, 7 fit
    EXPECT_EQ(ring.try_push_batch(second), 0U);
    EXPECT_EQ(ring.try_push_batch(std::span<const item>{}), 0U);
    EXPECT_EQ(ring.size_approx(), 8U);

    std::array<item, 3> out{};
    ASSERT_EQ(ring.pop_batch(out), 3U);
    EXPECT_EQ(out, (std::array<item, 3>{0, 1, 2}));
    // The freed slots sit at the start of the array: this batch wraps around the end.
    EXPECT_EQ(ring.try_push_batch(std::span<const item>(second).subspan(3)), 2U);

    std::array<item, 16> rest{};
    ASSERT_EQ(ring.pop_batch(rest), 7U);
    for (std::size_t i = 0; i < 7; ++i) {
        EXPECT_EQ(rest[i], i + 3);
    }
    EXPECT_EQ(ring.pop_batch(rest), 0U);
    EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, PopBatchTakesOnlyWhatIsThere) {
    spsc_ring<item> ring(4);
    ASSERT_TRUE(ring.try_push(7));
    std::array<item, 4> out{1, 1, 1, 1};
    ASSERT_EQ(ring.pop_batch(out), 1U);
    EXPECT_EQ(out, (std::array<item, 4>{7, 1, 1, 1}));
    std::array<item, 1> one{};
    for (item i = 0; i < 3; ++i) {
        ASSERT_TRUE(ring.try_push(i));
    }
    ASSERT_EQ(ring.pop_batch(one), 1U); // the span bounds the batch
    EXPECT_EQ(one[0], 0U);
    EXPECT_EQ(ring.size_approx(), 2U);
}

TEST(SpscRing, MixedSingleAndBatchOperationsKeepFifoAcrossWraparound) {
    spsc_ring<item> ring(8);
    item next_in = 0;
    item next_out = 0;
    std::vector<item> batch;
    std::array<item, 5> out{};
    for (int round = 0; round < 500; ++round) {
        batch.clear();
        for (int i = 0; i < round % 7; ++i) {
            batch.push_back(next_in + static_cast<item>(i));
        }
        next_in += ring.try_push_batch(batch);
        if (ring.try_push(next_in)) {
            ++next_in;
        }
        const std::size_t n = ring.pop_batch(std::span<item>(out).first(1 + round % 5));
        for (std::size_t i = 0; i < n; ++i) {
            ASSERT_EQ(out[i], next_out++);
        }
    }
    item last = 0;
    while (ring.try_pop(last)) {
        ASSERT_EQ(last, next_out++);
    }
    EXPECT_EQ(next_out, next_in);
}

TEST(SpscRing, CarriesPointers) {
    int a = 1;
    int b = 2;
    spsc_ring<int*> ring(2);
    ASSERT_TRUE(ring.try_push(&a));
    ASSERT_TRUE(ring.try_push(&b));
    int* out = nullptr;
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out, &a);
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out, &b);
}

TEST(SpscRing, RefusesACapacityThatIsNotAPowerOfTwo) {
    EXPECT_THROW(spsc_ring<item>(0), std::invalid_argument);
    EXPECT_THROW(spsc_ring<item>(3), std::invalid_argument);
    EXPECT_EQ(spsc_ring<item>(1).capacity(), 1U);
}

TEST(SpscRing, HeadAndTailDoNotShareACacheLine) {
    EXPECT_GE(alignof(spsc_ring<item>), coreloop::detail::cache_line);
    EXPECT_GE(sizeof(spsc_ring<item>), 4 * coreloop::detail::cache_line);
}

// A spin-wait hint to the CPU.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// Which operations a stress run uses on each side.
enum class mode { single, batched };

// Runs `n` sequence numbers from a producer thread to a consumer thread through one ring of
// `Capacity`; the consumer checks each number is the next expected one. Both threads give up
// at the deadline. Returns how many items arrived in order (n on success).
template <std::size_t Capacity>
item run_ring_stress(item n, mode how) {
    spsc_ring<item> ring(Capacity);
    coreloop::detail::atomic<bool> give_up{false};
    const auto deadline = clock_type::now() + stress_deadline;
    // On a failed attempt both sides spin briefly, yield every 64 failures (so that the other
    // side runs even when both threads share a CPU) and poll the deadline every 4096.
    auto should_stop = [&give_up, deadline](std::uint32_t& misses) {
        ++misses;
        if ((misses & 63U) != 0) {
            cpu_relax();
            return false;
        }
        std::this_thread::yield();
        if ((misses & 4095U) != 0) {
            return false;
        }
        if (clock_type::now() > deadline) {
            give_up.store(true, std::memory_order_relaxed); // a flag only; no data rides on it
        }
        return give_up.load(std::memory_order_relaxed); // pairs with the store above
    };

    std::thread producer([&ring, &should_stop, n, how] {
        std::array<item, 37> batch{}; // an odd size, so batches straddle the ring's end
        std::uint32_t misses = 0;
        item next = 0;
        while (next < n) {
            std::size_t pushed = 0;
            if (how == mode::single) {
                pushed = ring.try_push(next) ? 1 : 0;
            } else {
                const std::size_t want = std::min<item>(batch.size(), n - next);
                for (std::size_t i = 0; i < want; ++i) {
                    batch[i] = next + i;
                }
                pushed = ring.try_push_batch(std::span<const item>(batch).first(want));
            }
            next += pushed;
            if (pushed == 0 && should_stop(misses)) {
                return;
            }
        }
    });

    std::array<item, 64> out{};
    std::uint32_t misses = 0;
    item expected = 0;
    bool in_order = true;
    while (expected < n && in_order) {
        std::size_t got = 0;
        if (how == mode::single) {
            got = ring.try_pop(out[0]) ? 1 : 0;
        } else {
            got = ring.pop_batch(out);
        }
        for (std::size_t i = 0; i < got; ++i) {
            in_order = in_order && out[i] == expected;
            expected += in_order ? 1 : 0;
        }
        if (got == 0 && should_stop(misses)) {
            break;
        }
    }
    if (!in_order) {
        give_up.store(true, std::memory_order_relaxed); // releases the producer if it is stuck
    }
    producer.join();
    EXPECT_TRUE(in_order) << "item " << expected << " arrived out of order";
    EXPECT_FALSE(give_up.load(std::memory_order_relaxed)) << "deadline passed";
    if (in_order && expected == n) {
        // Nothing may arrive after the last item: that would be a duplicate.
        item extra = 0;
        EXPECT_FALSE(ring.try_pop(extra)) << "extra item " << extra;
    }
    return expected;
}

// A capacity-2 ring hands over one cache line per item or two, so the sanitizers' per-access
// cost (and a loaded 2-CPU CI machine) would push 2 M items past the deadline there.
#ifdef CORELOOP_TEST_SANITIZED
constexpr item stress_items = 500'000;
#else
constexpr item stress_items = 2'000'000;
#endif
// Through two slots, every item or two is a hand-off, and on a CI machine whose two CPUs run
// other tests too (the shard stress tests spin several threads), a hand-off can cost a time
// slice: 100 k items still wrap the ring 50 k times.
constexpr item small_ring_items = 100'000;

TEST(SpscRingStress, CapacityTwoSingleOps) {
    EXPECT_EQ(run_ring_stress<2>(small_ring_items, mode::single), small_ring_items);
}

TEST(SpscRingStress, CapacityTwoBatchedOps) {
    EXPECT_EQ(run_ring_stress<2>(small_ring_items, mode::batched), small_ring_items);
}

TEST(SpscRingStress, Capacity1024SingleOps) {
    EXPECT_EQ(run_ring_stress<1024>(stress_items, mode::single), stress_items);
}

TEST(SpscRingStress, Capacity1024BatchedOps) {
    EXPECT_EQ(run_ring_stress<1024>(stress_items, mode::batched), stress_items);
}

TEST(SpscSender, SendGoesStraightToTheRingWhileItHasRoom) {
    spsc_ring<item> ring(4);
    spsc_sender<item> sender(ring);
    sender.send(1);
    sender.send(2);
    EXPECT_EQ(sender.pending(), 0U);
    EXPECT_EQ(ring.size_approx(), 2U);
    EXPECT_EQ(sender.flush(), 0U);
    EXPECT_EQ(&sender.ring(), &ring);
}

TEST(SpscSender, EnqueueWaitsForFlushAndPublishesTheBatch) {
    spsc_ring<item> ring(4);
    spsc_sender<item> sender(ring);
    sender.enqueue(1);
    sender.enqueue(2);
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(sender.pending(), 2U);
    EXPECT_EQ(sender.flush(), 2U);
    item out = 0;
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out, 1U);
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out, 2U);
}

TEST(SpscSender, KeepsFifoAcrossTheRingOverflowBoundary) {
    spsc_ring<item> ring(4);
    spsc_sender<item> sender(ring);
    for (item i = 0; i < 10; ++i) {
        sender.send(i);
    }
    EXPECT_EQ(sender.pending(), 6U);
    EXPECT_EQ(sender.flush(), 0U); // still full

    item out = 0;
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out, 0U);
    // The ring has a free slot, but older items are pending: 10 must queue behind them.
    sender.send(10);
    EXPECT_EQ(sender.pending(), 7U);
    EXPECT_EQ(ring.size_approx(), 3U);

    item expected = 1;
    std::array<item, 3> buf{};
    while (expected <= 10) {
        EXPECT_LE(sender.flush(), buf.size() + 1);
        const std::size_t n = ring.pop_batch(buf);
        ASSERT_GT(n, 0U);
        for (std::size_t i = 0; i < n; ++i) {
            ASSERT_EQ(buf[i], expected++);
        }
    }
    EXPECT_EQ(sender.pending(), 0U);
    EXPECT_TRUE(ring.empty());
    sender.send(11); // overflow drained: straight into the ring again
    EXPECT_EQ(sender.pending(), 0U);
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out, 11U);
}

TEST(SpscSender, SlowConsumerMakesTheOverflowGrowAndDrainInOrder) {
    constexpr std::size_t capacity = 16;
    constexpr item n = 200'000;
    constexpr item burst = 256; // one "loop iteration" of sends, far more than the ring holds
    spsc_ring<item> ring(capacity);
    spsc_sender<item> sender(ring);
    coreloop::detail::atomic<bool> give_up{false};
    const auto deadline = clock_type::now() + stress_deadline;

    std::thread consumer([&ring, &give_up, deadline] {
        std::array<item, 8> out{};
        item expected = 0;
        std::uint32_t idle = 0;
        while (expected < n) {
            const std::size_t got = ring.pop_batch(out);
            for (std::size_t i = 0; i < got; ++i) {
                if (out[i] != expected) {
                    ADD_FAILURE() << "got " << out[i] << ", expected " << expected;
                    give_up.store(true, std::memory_order_relaxed); // flag only, no data
                    return;
                }
                ++expected;
            }
            // Deliberately slow: give the CPU away after every batch, so the sender's bursts
            // outrun it and the overflow grows.
            std::this_thread::yield();
            if (got == 0 && (++idle & 1023U) == 0 &&
                (clock_type::now() > deadline || give_up.load(std::memory_order_relaxed))) {
                give_up.store(true, std::memory_order_relaxed); // flag only, no data
                return;
            }
        }
    });

    std::size_t max_pending = 0;
    item next = 0;
    while (next < n && !give_up.load(std::memory_order_relaxed)) { // flag only, no data
        for (item i = 0; i < burst && next < n; ++i) {
            sender.send(next++);
        }
        max_pending = std::max(max_pending, sender.pending());
        sender.flush();
    }
    std::uint32_t spins = 0;
    while (sender.pending() != 0 && !give_up.load(std::memory_order_relaxed)) {
        sender.flush();
        std::this_thread::yield();
        if ((++spins & 1023U) == 0 && clock_type::now() > deadline) {
            give_up.store(true, std::memory_order_relaxed); // flag only, no data
        }
    }
    consumer.join();
    EXPECT_FALSE(give_up.load(std::memory_order_relaxed)) << "failed or deadline passed";
    EXPECT_GE(max_pending, burst - capacity) << "the overflow never grew";
    EXPECT_EQ(sender.pending(), 0U);
    EXPECT_TRUE(ring.empty());
}

} // namespace
