// The bounded lock-free single-producer single-consumer ring that carries cross-shard messages
// (one per ordered pair of shards, DESIGN.md "Cross-shard queues"): never blocks, publishes and
// drains in batches, and keeps each side off the other's cache line on the common path.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>
#include <stdexcept>
#include <type_traits>

#include <coreloop/detail/atomic.hpp>

namespace coreloop::detail {

/// A bounded single-producer single-consumer ring of `capacity()` trivially copyable items
/// (pointers, in the engine). `try_push*` may be called by one thread (the producer) and
/// `try_pop`, `pop_batch` and `empty` by one other thread (the consumer); `size_approx` and
/// `capacity` by either.
///
/// Indices are free-running counters masked on access, so `tail - head` is the fill level even
/// across the (theoretical, 2^64) wrap. `head_` and `tail_` live on cache lines of their own,
/// and each side keeps a private copy of the other side's index on yet another line: the
/// producer re-reads `head_` only when the ring looks full, the consumer re-reads `tail_` only
/// when it looks empty, so a ring that is neither full nor empty costs each side no shared
/// read at all.
///
/// The capacity is chosen at construction (a power of two): the engine sizes its rings from
/// engine_options, and tests force overflow with a capacity of 1 or 2.
///
/// Errors: the constructor throws std::invalid_argument for a capacity that is not a power of
/// two; every other operation is noexcept and wait-free.
/// Cancellation: not applicable (nothing here suspends).
/// Shard: producer calls on the sending thread, consumer calls on the receiving thread.
template <class T>
class spsc_ring {
    static_assert(std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T>,
                  "spsc_ring carries trivially copyable items (pointers)");

public:
    explicit spsc_ring(std::size_t capacity)
        : fixed_{checked(capacity) - 1, std::make_unique<T[]>(capacity)} {}
    spsc_ring(const spsc_ring&) = delete;
    spsc_ring& operator=(const spsc_ring&) = delete;

    /// The number of slots.
    [[nodiscard]] std::size_t capacity() const noexcept { return fixed_.value.mask + 1; }

    /// Appends `item` and publishes it; false (and nothing changes) when the ring is full.
    /// Shard: producer only.
    [[nodiscard]] bool try_push(T item) noexcept {
        // Relaxed: only this thread stores tail_, so it reads its own last store.
        const std::size_t tail = tail_.value.load(std::memory_order_relaxed);
        if (tail - producer_.value.cached_head == capacity() && refresh_head() == 0) {
            return false;
        }
        slot(tail) = item;
        // Release: pairs with the consumer's acquire load of tail_ in refresh_tail(), so the
        // slot written above is visible before the consumer can see the new tail.
        tail_.value.store(tail + 1, std::memory_order_release);
        return true;
    }

    /// Appends as many leading items of `items` as fit and publishes them together with one
    /// store of the tail. Returns how many were pushed (0 when the ring is full).
    /// Shard: producer only.
    [[nodiscard]] std::size_t try_push_batch(std::span<const T> items) noexcept {
        // Relaxed: only this thread stores tail_.
        const std::size_t tail = tail_.value.load(std::memory_order_relaxed);
        std::size_t room = capacity() - (tail - producer_.value.cached_head);
        if (room < items.size()) {
            room = refresh_head();
        }
        const std::size_t n = std::min(room, items.size());
        if (n == 0) {
            return 0;
        }
        for (std::size_t i = 0; i < n; ++i) {
            slot(tail + i) = items[i];
        }
        // Release: pairs with the consumer's acquire load of tail_ in refresh_tail(); one
        // store publishes the whole batch.
        tail_.value.store(tail + n, std::memory_order_release);
        return n;
    }

    /// Takes the oldest item into `out`; false (and `out` untouched) when the ring is empty.
    /// Shard: consumer only.
    [[nodiscard]] bool try_pop(T& out) noexcept {
        // Relaxed: only this thread stores head_.
        const std::size_t head = head_.value.load(std::memory_order_relaxed);
        if (head == consumer_.value.cached_tail && refresh_tail() == 0) {
            return false;
        }
        out = slot(head);
        // Release: pairs with the producer's acquire load of head_ in refresh_head(), so the
        // slot is read before the producer may overwrite it.
        head_.value.store(head + 1, std::memory_order_release);
        return true;
    }

    /// Takes up to `out.size()` of the oldest items into `out`, with at most one load of the
    /// tail and one store of the head. Returns how many were taken.
    /// Shard: consumer only.
    [[nodiscard]] std::size_t pop_batch(std::span<T> out) noexcept {
        // Relaxed: only this thread stores head_.
        const std::size_t head = head_.value.load(std::memory_order_relaxed);
        std::size_t ready = consumer_.value.cached_tail - head;
        if (ready < out.size()) {
            ready = refresh_tail();
        }
        const std::size_t n = std::min(ready, out.size());
        if (n == 0) {
            return 0;
        }
        for (std::size_t i = 0; i < n; ++i) {
            out[i] = slot(head + i);
        }
        // Release: pairs with the producer's acquire load of head_ in refresh_head(); the
        // slots are read before the producer may overwrite them.
        head_.value.store(head + n, std::memory_order_release);
        return n;
    }

    /// True when nothing is published for the consumer. A false answer is definite (only
    /// the consumer removes items); a true answer re-reads the producer's tail, so a shard
    /// that issues fence_seq_cst() after storing its `sleeping` flag and then sees empty() is
    /// sure that a producer publishing later will see the flag (DESIGN.md "Waking a sleeping
    /// shard"; the producer fences between its tail store and its load of the flag).
    /// Shard: consumer only.
    [[nodiscard]] bool empty() noexcept {
        // Relaxed: only this thread stores head_.
        const std::size_t head = head_.value.load(std::memory_order_relaxed);
        return head == consumer_.value.cached_tail && refresh_tail() == 0;
    }

    /// The fill level at some recent moment, in [0, capacity()]: exact when called by either side
    /// while the other is idle, approximate while both move.
    /// Shard: any.
    [[nodiscard]] std::size_t size_approx() const noexcept {
        // Acquire: pairs with the consumer's release store of head_; the consumer stored that
        // head only after seeing a tail at least as large, so the tail read next is >= head.
        const std::size_t head = head_.value.load(std::memory_order_acquire);
        // Acquire: pairs with the producer's release store of tail_ (only a fresh value is
        // wanted; no slot is read).
        const std::size_t tail = tail_.value.load(std::memory_order_acquire);
        return std::min(tail - head, capacity());
    }

private:
    static std::size_t checked(std::size_t capacity) {
        if (capacity == 0 || (capacity & (capacity - 1)) != 0) {
            throw std::invalid_argument("spsc_ring capacity must be a power of two");
        }
        return capacity;
    }

    T& slot(std::size_t index) noexcept { return fixed_.value.slots[index & fixed_.value.mask]; }

    // Producer: re-reads the consumer's head into the cache; returns the free slot count.
    std::size_t refresh_head() noexcept {
        // Acquire: pairs with the consumer's release store of head_ in try_pop()/pop_batch(),
        // so its reads of the freed slots happen before this thread overwrites them.
        producer_.value.cached_head = head_.value.load(std::memory_order_acquire);
        // Relaxed: own index.
        return capacity() -
               (tail_.value.load(std::memory_order_relaxed) - producer_.value.cached_head);
    }

    // Consumer: re-reads the producer's tail into the cache; returns the ready item count.
    std::size_t refresh_tail() noexcept {
        // Acquire: pairs with the producer's release store of tail_ in try_push*(), so the
        // slots it wrote are visible before this thread reads them.
        consumer_.value.cached_tail = tail_.value.load(std::memory_order_acquire);
        // Relaxed: own index.
        return consumer_.value.cached_tail - head_.value.load(std::memory_order_relaxed);
    }

    struct producer_state {
        std::size_t cached_head = 0; // the consumer's head as last seen
    };
    struct consumer_state {
        std::size_t cached_tail = 0; // the producer's tail as last seen
    };

    // Written by the producer, read by the consumer.
    cache_aligned<atomic<std::size_t>> tail_{0};
    // Producer-private.
    cache_aligned<producer_state> producer_{};
    // Written by the consumer, read by the producer.
    cache_aligned<atomic<std::size_t>> head_{0};
    // Consumer-private.
    cache_aligned<consumer_state> consumer_{};
    // Set at construction, then only read by both sides (a line that never bounces). The slots
    // are written by the producer before publication and read by the consumer after it.
    struct fixed_state {
        std::size_t mask;
        std::unique_ptr<T[]> slots;
    };
    cache_aligned<fixed_state> fixed_;
};

} // namespace coreloop::detail
