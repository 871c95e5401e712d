// condition: asyncio.Condition for one shard, over a given lock or its own.
#pragma once

#include <coroutine>
#include <cstddef>
#include <type_traits>

#include <coreloop/coro.hpp>
#include <coreloop/sync/detail/waiter.hpp>
#include <coreloop/sync/lock.hpp>

namespace coreloop::sync {

/// A condition variable for tasks of one shard (asyncio.Condition): tasks holding the lock
/// wait() to be notified; notify() wakes them in FIFO order.
/// Shard: create and use it on one loop; it (and a given lock) must outlive every waiter.
class condition {
public:
    /// A condition with its own lock.
    condition() noexcept
        : lock_(&own_lock_) {}
    /// A condition over `l`, which may be shared with other conditions.
    explicit condition(lock& l) noexcept
        : lock_(&l) {}
    condition(const condition&) = delete;
    condition& operator=(const condition&) = delete;

    /// Acquires the underlying lock (lock::acquire).
    [[nodiscard]] lock::acquire_awaiter acquire() noexcept { return lock_->acquire(); }
    /// Acquires the underlying lock and returns a guard (lock::scoped; `async with cond:`).
    [[nodiscard]] lock::scoped_awaiter scoped() noexcept { return lock_->scoped(); }
    /// Releases the underlying lock. Errors: std::runtime_error if it is not held.
    void release() { lock_->release(); }
    /// True while the underlying lock is held.
    bool locked() const noexcept { return lock_->locked(); }

    /// Releases the lock, waits to be notified, then re-acquires the lock before returning.
    /// A coroutine: asyncio's wait is two suspensions (the notification, then the lock), so
    /// its frame comes from the shard's frame pool; each wait holds its waiter nodes there.
    /// Errors: std::runtime_error if the lock is not held when it starts.
    /// Cancellation: the lock is re-acquired before cancelled_error leaves wait (a cancel
    /// during the re-acquire is kept and thrown once the lock is held). Any exception leaving
    /// wait passes one notification on to the next waiter, so a notified-then-cancelled
    /// waiter loses no wake-up (a spurious wake-up is possible, as in asyncio).
    /// Shard: inside a task on the condition's loop.
    coro<void> wait();

    /// Waits until pred() is true (checked first, then after each wait()); returns the last
    /// value of pred(). Errors, Cancellation, Shard: as wait(); pred's exceptions propagate
    /// (with the lock held).
    template <class Pred>
    coro<std::invoke_result_t<Pred&>> wait_for(Pred pred);

    /// Wakes up to n waiters (in FIFO order, through the ready queue); each returns from
    /// wait() once it has re-acquired the lock.
    /// Errors: std::runtime_error if the lock is not held.
    /// Shard: the condition's loop.
    void notify(std::size_t n = 1);

    /// Wakes every waiter. Errors: std::runtime_error if the lock is not held.
    void notify_all() { notify(waiters_.size()); }

private:
    friend class barrier;
    class notified_awaiter;

    void wake(std::size_t n) noexcept;
    void wake_all_held() noexcept { wake(waiters_.size()); }

    lock own_lock_;
    lock* lock_;
    detail::waiter_list waiters_;
};

template <class Pred>
coro<std::invoke_result_t<Pred&>> condition::wait_for(Pred pred) {
    auto result = pred();
    while (!result) {
        co_await wait();
        result = pred();
    }
    co_return result;
}

} // namespace coreloop::sync
