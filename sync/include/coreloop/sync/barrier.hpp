// barrier: asyncio.Barrier for one shard, a cyclic rendezvous of `parties` tasks.
#pragma once

#include <cstddef>

#include <coreloop/coro.hpp>
#include <coreloop/sync/condition.hpp>
#include <coreloop/sync/exceptions.hpp>

namespace coreloop::sync {

/// Lets `parties` tasks wait for each other (asyncio.Barrier). It cycles through filling
/// (tasks arrive), draining (all arrived, they leave), resetting (reset() while tasks are
/// inside) and broken (abort()). Built on a condition, as asyncio's is.
/// Shard: create and use it on one loop; it must outlive every task waiting on it.
class barrier {
public:
    /// Errors: std::invalid_argument if parties < 1.
    explicit barrier(std::size_t parties);
    barrier(const barrier&) = delete;
    barrier& operator=(const barrier&) = delete;

    /// Waits until `parties` tasks are waiting, then returns this task's arrival index, a
    /// unique number in [0, parties). Waits first while the barrier drains or resets.
    /// Errors: broken_barrier_error if the barrier is broken, or is reset or aborted while
    /// this task waits.
    /// Cancellation: the task leaves the barrier (n_waiting() goes down by one).
    /// Shard: inside a task on the barrier's loop.
    coro<std::size_t> wait();

    /// Returns the barrier to filling; tasks waiting in it get broken_barrier_error.
    /// A coroutine because it takes the barrier's lock (asyncio's reset is async).
    coro<void> reset();

    /// Breaks the barrier: waiting and future wait() calls get broken_barrier_error until
    /// reset(). A coroutine because it takes the barrier's lock.
    coro<void> abort();

    /// Tasks needed to pass the barrier.
    std::size_t parties() const noexcept { return parties_; }
    /// Tasks waiting while it fills (0 while draining, resetting or broken).
    std::size_t n_waiting() const noexcept { return state_ == state::filling ? count_ : 0; }
    /// True once abort() was called (until reset()).
    bool broken() const noexcept { return state_ == state::broken; }

private:
    enum class state : unsigned char { filling, draining, resetting, broken };

    coro<void> block();
    coro<void> wait_released();
    void leave() noexcept;

    condition cond_;
    std::size_t parties_;
    std::size_t count_ = 0;
    state state_ = state::filling;
};

} // namespace coreloop::sync
