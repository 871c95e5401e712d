// The producer's end of a cross-shard ring: items that do not fit wait in a sender-local
// overflow and move into the ring on later flushes (DESIGN.md: never block, never drop).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include <coreloop/detail/spsc_ring.hpp>

namespace coreloop::detail {

/// The producer side of one `spsc_ring`, with a local overflow for what the ring cannot take
/// yet. Items reach the consumer in `send` order, across the ring/overflow boundary: while any
/// overflow is pending, new items queue behind it instead of overtaking it in the ring.
///
/// The overflow is unbounded by design; the bound belongs upstream (a cross-shard channel waits
/// when full, submit_to's callers wait for completions), so this only absorbs bursts that one
/// loop iteration produces faster than the receiver drains.
///
/// Errors: `send` throws std::bad_alloc if the overflow cannot grow; nothing else throws.
/// Cancellation: not applicable (nothing here suspends).
/// Shard: the ring's producer thread only.
template <class T>
class spsc_sender {
public:
    using ring_type = spsc_ring<T>;

    /// A sender into `ring`, which must outlive it.
    explicit spsc_sender(ring_type& ring) noexcept
        : ring_(&ring) {}

    /// Sends `item`: straight into the ring when it has room and nothing older is pending,
    /// else into the local overflow. Never blocks, never drops.
    /// Errors: std::bad_alloc from the overflow (then `item` was not sent).
    void send(T item) {
        if (pending() == 0 && ring_->try_push(item)) {
            return;
        }
        overflow_.push_back(item);
    }

    /// Queues `item` for the next flush() without touching the ring: a producer that sends
    /// many items per loop iteration publishes them together, with one store of the tail.
    /// Errors: std::bad_alloc (then `item` was not queued).
    void enqueue(T item) { overflow_.push_back(item); }

    /// Moves as much of the overflow into the ring as fits, oldest first, published with one
    /// store of the ring's tail. Returns how many items moved. Called once per loop iteration.
    std::size_t flush() noexcept {
        if (pending() == 0) {
            return 0;
        }
        const std::span<const T> waiting(overflow_.data() + first_, pending());
        const std::size_t moved = ring_->try_push_batch(waiting);
        first_ += moved;
        if (first_ == overflow_.size()) {
            // Keeps the allocation: a ring that overflowed once is likely to again.
            overflow_.clear();
            first_ = 0;
        } else if (first_ >= overflow_.size() / 2) {
            // Drops the sent prefix once it is at least half the vector, so a steady overflow
            // costs amortised O(1) per item and the vector never holds more than twice the
            // pending items.
            overflow_.erase(overflow_.begin(),
                            overflow_.begin() + static_cast<std::ptrdiff_t>(first_));
            first_ = 0;
        }
        return moved;
    }

    /// The number of items waiting in the overflow (sent, not yet in the ring).
    [[nodiscard]] std::size_t pending() const noexcept { return overflow_.size() - first_; }

    /// The ring this sender feeds.
    [[nodiscard]] ring_type& ring() const noexcept { return *ring_; }

private:
    ring_type* ring_;
    std::vector<T> overflow_; // items [first_, size()) are pending, oldest first
    std::size_t first_ = 0;
};

} // namespace coreloop::detail
