// The one place the engine's atomics come from (STYLE §9.3, after tokio's loom module): every
// lock-free structure names these aliases, so a model checker can be slotted in here later.
#pragma once

#include <atomic>
#include <cstddef>

namespace coreloop::detail {

/// The engine's atomic type. A model checker would replace this alias with its own type.
template <class T>
using atomic = std::atomic<T>;

/// A full sequentially consistent fence (the wake protocol's fences go through here).
inline void fence_seq_cst() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

/// The cache line size the engine pads for. Fixed at 64 rather than taken from
/// std::hardware_destructive_interference_size, whose value GCC warns may change between
/// compiler versions (-Winterference-size) and so must not reach a layout.
inline constexpr std::size_t cache_line = 64;

/// Wraps a value on a cache line of its own, so that writes to it never invalidate a neighbour
/// (false sharing): the role of hardware_destructive_interference_size.
template <class T>
struct alignas(cache_line) cache_aligned {
    T value;
};

} // namespace coreloop::detail
