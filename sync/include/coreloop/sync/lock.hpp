// lock: asyncio.Lock for one shard. FIFO, no barging, and a waiter woken then cancelled
// passes the lock on.
#pragma once

#include <coroutine>

#include <coreloop/sync/detail/waiter.hpp>
#include <coreloop/sync/guard.hpp>

namespace coreloop::sync {

namespace detail {
class cond_wait;
} // namespace detail

/// A mutual-exclusion lock for tasks of one shard (asyncio.Lock). Not owned by a task: any
/// task may release it. Waiters are served first come, first served; a new acquire() queues
/// behind every waiter that is not cancelled, even while the lock is free (no barging).
/// Shard: create and use it on one loop; it must outlive every task waiting on it.
class lock {
public:
    class acquire_awaiter;
    class scoped_awaiter;

    lock() noexcept = default;
    lock(const lock&) = delete;
    lock& operator=(const lock&) = delete;
    ~lock() = default;

    /// `co_await l.acquire()` takes the lock, waiting in FIFO order if it is held or others
    /// wait. Returns at once (no suspension) when the lock is free and nobody waits.
    /// Errors: std::runtime_error if awaited outside a task.
    /// Cancellation: the task leaves the queue without the lock; if it had already been
    /// handed the lock (woken, not yet run), it passes the lock to the next waiter.
    /// Shard: inside a task on the lock's loop.
    [[nodiscard]] acquire_awaiter acquire() noexcept;

    /// `auto g = co_await l.scoped()` acquires as acquire() does and returns a guard that
    /// releases the lock when destroyed (asyncio's `async with lock:`).
    /// Errors, Cancellation, Shard: as acquire(); no guard is made if cancelled.
    [[nodiscard]] scoped_awaiter scoped() noexcept;

    /// Unlocks and wakes the first waiter (through the ready queue).
    /// Errors: std::runtime_error if the lock is not held.
    /// Shard: the lock's loop.
    void release();

    /// True while some task holds the lock.
    /// Shard: the lock's loop.
    bool locked() const noexcept { return locked_; }

private:
    friend class guard<lock>;
    friend class condition;
    friend class detail::cond_wait;

    void release_held() noexcept;
    void wake_first() noexcept;
    bool try_acquire_now() noexcept;
    void finish_wait(detail::waiter& w);
    bool take_turn(detail::waiter& w) noexcept;
    bool cancel_wait(detail::waiter& w) noexcept;
    void drop_wait(detail::waiter& w) noexcept;

    detail::waiter_list waiters_;
    bool locked_ = false;
};

/// What lock::acquire() returns; co_await it once.
class [[nodiscard]] lock::acquire_awaiter {
public:
    explicit acquire_awaiter(lock& l) noexcept
        : lock_(&l) {}
    acquire_awaiter(acquire_awaiter&& other) noexcept
        : lock_(other.lock_) {}
    acquire_awaiter& operator=(acquire_awaiter&&) = delete;
    ~acquire_awaiter() {
        if (waiter_.linked()) {
            lock_->drop_wait(waiter_);
        }
    }

    bool await_ready() noexcept { return lock_->try_acquire_now(); }
    void await_suspend(std::coroutine_handle<> h) {
        waiter_.arm(h);
        lock_->waiters_.push_back(waiter_);
    }
    bool await_cancel() noexcept { return lock_->cancel_wait(waiter_); }
    void await_resume() {
        if (waiter_.state() != detail::waiter::status::idle) {
            lock_->finish_wait(waiter_);
        }
    }

protected:
    lock* lock_;

private:
    detail::waiter waiter_;
};

/// What lock::scoped() returns: acquire_awaiter whose result is a guard.
class [[nodiscard]] lock::scoped_awaiter : public lock::acquire_awaiter {
public:
    using acquire_awaiter::acquire_awaiter;
    guard<lock> await_resume() {
        acquire_awaiter::await_resume();
        return guard<lock>(*lock_);
    }
};

inline lock::acquire_awaiter lock::acquire() noexcept {
    return acquire_awaiter(*this);
}

inline lock::scoped_awaiter lock::scoped() noexcept {
    return scoped_awaiter(*this);
}

} // namespace coreloop::sync
