// What gather, wait and as_completed share: a done_waiter per child that calls back into the
// composite (asyncio's add_done_callback, but inline in the child's completion and without an
// allocation), and asyncio's `set(fs)` deduplication of the children.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include <coreloop/detail/future_state.hpp>

namespace coreloop::detail {

/// Watches one child for a composite awaiter `Owner`: when the child is done, calls
/// owner->on_child_done(index) from inside the child's completion. That call must only do
/// bookkeeping and make tasks ready (done_waiter's rule), never resume anything.
template <class Owner>
struct child_watch : done_waiter {
    child_watch() noexcept
        : done_waiter(&child_watch::fire) {}
    child_watch(const child_watch&) = delete;
    child_watch& operator=(const child_watch&) = delete;

    /// Starts watching (notifies at once if the child is done already).
    void watch(Owner& o, future_state_base& c, std::uint32_t i) noexcept {
        owner = &o;
        child = &c;
        index = i;
        c.add_waiter(*this);
    }
    /// Stops watching a child that is not done yet; no-op otherwise.
    void unwatch() noexcept {
        if (linked) {
            child->remove_waiter(*this);
        }
    }

    Owner* owner = nullptr;
    future_state_base* child = nullptr; // nullptr: a duplicate, not watched
    std::uint32_t index = 0;

private:
    static void fire(done_waiter& w) noexcept {
        auto& self = static_cast<child_watch&>(w);
        self.owner->on_child_done(self.index);
    }
};

/// For each entry, whether it is the first occurrence of its state (asyncio turns the
/// arguments into a set / a dict keyed by future). Quadratic for a handful, sorted otherwise.
inline std::vector<bool> first_occurrences(std::span<future_state_base* const> states) {
    std::vector<bool> first(states.size(), true);
    constexpr std::size_t small = 16;
    if (states.size() <= small) {
        for (std::size_t i = 1; i < states.size(); ++i) {
            for (std::size_t j = 0; j < i; ++j) {
                if (states[j] == states[i]) {
                    first[i] = false;
                    break;
                }
            }
        }
        return first;
    }
    std::vector<std::pair<future_state_base*, std::size_t>> sorted;
    sorted.reserve(states.size());
    for (std::size_t i = 0; i < states.size(); ++i) {
        sorted.emplace_back(states[i], i);
    }
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 1; i < sorted.size(); ++i) {
        if (sorted[i].first == sorted[i - 1].first) {
            first[sorted[i].second] = false; // pairs sort by index within a state
        }
    }
    return first;
}

} // namespace coreloop::detail
