// barrier: asyncio.Barrier for one shard, a cyclic rendezvous of `parties` tasks.
#pragma once

#include <coroutine>
#include <cstddef>

#include <coreloop/sync/condition.hpp>
#include <coreloop/sync/detail/cond_wait.hpp>
#include <coreloop/sync/exceptions.hpp>
#include <coreloop/sync/lock.hpp>

namespace coreloop::sync {

/// Lets `parties` tasks wait for each other (asyncio.Barrier). It cycles through filling
/// (tasks arrive), draining (all arrived, they leave), resetting (reset() while tasks are
/// inside) and broken (abort()). Built on a condition, as asyncio's is.
/// Shard: create and use it on one loop; it must outlive every task waiting on it.
class barrier {
public:
    class wait_awaiter;
    class update_awaiter;

    /// Errors: std::invalid_argument if parties < 1.
    explicit barrier(std::size_t parties);
    barrier(const barrier&) = delete;
    barrier& operator=(const barrier&) = delete;

    /// `co_await b.wait()` waits until `parties` tasks are waiting, then returns this task's
    /// arrival index, a unique number in [0, parties). Waits first while the barrier drains
    /// or resets. A plain awaiter (no allocation): it takes the barrier's lock and waits on
    /// its condition from its own waiter nodes.
    /// Errors: broken_barrier_error if the barrier is broken, or is reset or aborted while
    /// this task waits.
    /// Cancellation: the task leaves the barrier (n_waiting() goes down by one).
    /// Shard: inside a task on the barrier's loop.
    [[nodiscard]] wait_awaiter wait() noexcept;

    /// `co_await b.reset()` returns the barrier to filling; tasks waiting in it get
    /// broken_barrier_error. Awaitable because it takes the barrier's lock (asyncio's reset
    /// is async). Cancellation: as lock::acquire; nothing changes.
    [[nodiscard]] update_awaiter reset() noexcept;

    /// `co_await b.abort()` breaks the barrier: waiting and future wait() calls get
    /// broken_barrier_error until reset(). Awaitable because it takes the barrier's lock.
    /// Cancellation: as lock::acquire; nothing changes.
    [[nodiscard]] update_awaiter abort() noexcept;

    /// Tasks needed to pass the barrier.
    std::size_t parties() const noexcept { return parties_; }
    /// Tasks waiting while it fills (0 while draining, resetting or broken).
    std::size_t n_waiting() const noexcept { return state_ == state::filling ? count_ : 0; }
    /// True once abort() was called (until reset()).
    bool broken() const noexcept { return state_ == state::broken; }

private:
    enum class state : unsigned char { filling, draining, resetting, broken };

    void update(bool abort) noexcept;
    void leave() noexcept;

    condition cond_;
    std::size_t parties_;
    std::size_t count_ = 0;
    state state_ = state::filling;
};

/// What barrier::wait() returns; co_await it once.
class [[nodiscard]] barrier::wait_awaiter : private detail::cond_wait {
public:
    explicit wait_awaiter(barrier& b) noexcept
        : cond_wait(b.cond_, &wait_awaiter::on_held)
        , barrier_(&b) {}
    // Moved only before it is awaited (into the suspension wrapper).
    wait_awaiter(wait_awaiter&& other) noexcept
        : cond_wait(other.barrier_->cond_, &wait_awaiter::on_held)
        , barrier_(other.barrier_) {}
    wait_awaiter& operator=(wait_awaiter&&) = delete;
    ~wait_awaiter() = default;

    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
        bind(h);
        return !begin_with_lock();
    }
    bool await_cancel() noexcept { return cancel(); }
    std::size_t await_resume() const {
        finish();
        return index_;
    }

private:
    // Where the task is in asyncio's Barrier.wait.
    enum class stage : unsigned char { block, released };

    static bool on_held(cond_wait& self) noexcept;
    bool step() noexcept;
    bool leave_barrier() noexcept;

    barrier* barrier_;
    std::size_t index_ = 0;
    stage stage_ = stage::block;
};

/// What barrier::reset() and barrier::abort() return; co_await it once.
class [[nodiscard]] barrier::update_awaiter : public lock::acquire_awaiter {
public:
    update_awaiter(barrier& b, bool abort) noexcept
        : acquire_awaiter(*b.cond_.lock_)
        , barrier_(&b)
        , abort_(abort) {}
    update_awaiter(update_awaiter&& other) noexcept
        : acquire_awaiter(std::move(other))
        , barrier_(other.barrier_)
        , abort_(other.abort_) {}

    void await_resume() {
        acquire_awaiter::await_resume();
        barrier_->update(abort_);
    }

private:
    barrier* barrier_;
    bool abort_;
};

inline barrier::wait_awaiter barrier::wait() noexcept {
    return wait_awaiter(*this);
}

inline barrier::update_awaiter barrier::reset() noexcept {
    return update_awaiter(*this, false);
}

inline barrier::update_awaiter barrier::abort() noexcept {
    return update_awaiter(*this, true);
}

} // namespace coreloop::sync
