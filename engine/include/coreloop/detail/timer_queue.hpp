// The per-shard timer structure: an indexed binary heap ordered by (deadline, insertion
// order), with O(log n) insert and cancel. A cancelled entry leaves the heap at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace coreloop::detail {

using clock = std::chrono::steady_clock;

/// A timer; lives in its owner (a sleep awaiter in a coroutine frame, a timer handle).
struct timer_entry {
    using fire_fn = void (*)(timer_entry& self) noexcept;
    static constexpr std::size_t not_queued = ~std::size_t{0};

    /// `discard_fn` releases an entry the loop drops unfired when it closes.
    explicit timer_entry(fire_fn fn, fire_fn discard_fn = nullptr) noexcept
        : fire(fn)
        , discard(discard_fn) {}

    bool is_queued() const noexcept { return heap_index != not_queued; }

    clock::time_point deadline{};
    std::uint64_t seq = 0;
    std::size_t heap_index = not_queued;
    fire_fn fire;
    fire_fn discard;
};

class timer_queue {
public:
    bool empty() const noexcept { return heap_.empty(); }
    std::size_t size() const noexcept { return heap_.size(); }

    /// Adds e to fire at e.deadline, after every entry already queued for the same deadline.
    void add(timer_entry& e);
    /// Removes e if queued.
    void remove(timer_entry& e) noexcept;
    std::optional<clock::time_point> next_deadline() const noexcept {
        if (heap_.empty()) {
            return std::nullopt;
        }
        return heap_.front()->deadline;
    }
    /// Removes and returns the earliest entry if its deadline is <= now, else nullptr.
    timer_entry* pop_expired(clock::time_point now) noexcept;
    /// Forgets every entry without firing it.
    void clear() noexcept;

private:
    static bool earlier(const timer_entry* a, const timer_entry* b) noexcept {
        return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
    }
    void place(std::size_t i, timer_entry* e) noexcept {
        heap_[i] = e;
        e->heap_index = i;
    }
    void sift_up(std::size_t i) noexcept;
    void sift_down(std::size_t i) noexcept;

    std::vector<timer_entry*> heap_;
    std::uint64_t next_seq_ = 0;
};

} // namespace coreloop::detail
