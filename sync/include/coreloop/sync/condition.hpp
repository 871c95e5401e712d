// condition: asyncio.Condition for one shard, over a given lock or its own.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <coreloop/sync/detail/cond_wait.hpp>
#include <coreloop/sync/detail/waiter.hpp>
#include <coreloop/sync/lock.hpp>

namespace coreloop::sync {

/// A condition variable for tasks of one shard (asyncio.Condition): tasks holding the lock
/// wait() to be notified; notify() wakes them in FIFO order.
/// Shard: create and use it on one loop; it (and a given lock) must outlive every waiter.
class condition {
public:
    class wait_awaiter;
    template <class Pred>
    class wait_for_awaiter;

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

    /// `co_await c.wait()` releases the lock, waits to be notified, then re-acquires the lock
    /// before returning. A plain awaiter: its waiter nodes live in the waiting frame, and the
    /// re-acquire after the notification is done by the awaiter's own ready-queue node, which
    /// resumes the task only once the lock is held (no allocation).
    /// Errors: std::runtime_error if the lock is not held when it starts.
    /// Cancellation: the lock is re-acquired before cancelled_error leaves wait (a cancel
    /// during the re-acquire is kept and thrown once the lock is held). A cancelled wait
    /// passes one notification on to the next waiter, so a notified-then-cancelled waiter
    /// loses no wake-up (a spurious wake-up is possible, as in asyncio).
    /// Shard: inside a task on the condition's loop.
    [[nodiscard]] wait_awaiter wait() noexcept;

    /// `co_await c.wait_for(pred)` waits until pred() is true (checked first, then after each
    /// wait, with the lock held); returns the last value of pred(). Allocation-free as wait().
    /// Errors, Cancellation, Shard: as wait(); pred's exceptions propagate (with the lock
    /// held). After a wake-up pred runs from the awaiter's ready-queue node, in the loop
    /// iteration where the task resumes, with the task's current_task() and context.
    template <class Pred>
    [[nodiscard]] wait_for_awaiter<Pred> wait_for(Pred pred);

    /// Wakes up to n waiters (in FIFO order, through the ready queue); each returns from
    /// wait() once it has re-acquired the lock.
    /// Errors: std::runtime_error if the lock is not held.
    /// Shard: the condition's loop.
    void notify(std::size_t n = 1);

    /// Wakes every waiter. Errors: std::runtime_error if the lock is not held.
    void notify_all() { notify(waiters_.size()); }

private:
    friend class barrier;
    friend class detail::cond_wait;

    void check_locked() const;
    void wake(std::size_t n) noexcept;
    void wake_all_held() noexcept { wake(waiters_.size()); }

    lock own_lock_;
    lock* lock_;
    detail::waiter_list waiters_;
};

/// What condition::wait() returns; co_await it once.
class [[nodiscard]] condition::wait_awaiter : private detail::cond_wait {
public:
    explicit wait_awaiter(condition& c) noexcept
        : cond_wait(c, &wait_awaiter::on_held) {}
    // Moved only before it is awaited (into the suspension wrapper).
    wait_awaiter(wait_awaiter&& other) noexcept
        : cond_wait(other.cond(), &wait_awaiter::on_held) {}
    wait_awaiter& operator=(wait_awaiter&&) = delete;
    ~wait_awaiter() = default;

    bool await_ready() const {
        cond().check_locked();
        return false;
    }
    void await_suspend(std::coroutine_handle<> h) {
        bind(h);
        wait_notified();
    }
    bool await_cancel() noexcept { return cancel(); }
    void await_resume() const { finish(); }

private:
    static bool on_held(cond_wait& /*self*/) noexcept { return true; }
};

/// What condition::wait_for() returns; co_await it once.
template <class Pred>
class [[nodiscard]] condition::wait_for_awaiter : private detail::cond_wait {
public:
    using result_type = std::invoke_result_t<Pred&>;

    wait_for_awaiter(condition& c, Pred pred)
        : cond_wait(c, &wait_for_awaiter::on_held)
        , pred_(std::move(pred)) {}
    // Moved only before it is awaited (into the suspension wrapper).
    wait_for_awaiter(wait_for_awaiter&& other)
        : cond_wait(other.cond(), &wait_for_awaiter::on_held)
        , pred_(std::move(other.pred_)) {}
    wait_for_awaiter& operator=(wait_for_awaiter&&) = delete;
    ~wait_for_awaiter() = default;

    bool await_ready() {
        result_.emplace(pred_());
        if (*result_) {
            return true;
        }
        cond().check_locked();
        return false;
    }
    void await_suspend(std::coroutine_handle<> h) {
        bind(h);
        wait_notified();
    }
    bool await_cancel() noexcept { return cancel(); }
    result_type await_resume() {
        finish();
        return std::move(*result_);
    }

private:
    static bool on_held(cond_wait& self) noexcept {
        return static_cast<wait_for_awaiter&>(self).recheck();
    }
    bool recheck() noexcept {
        if (cancelled_) {
            return true;
        }
        try {
            result_.emplace(pred_());
            if (*result_) {
                return true;
            }
            cond().check_locked(); // pred may have released it
        } catch (...) {
            error_ = std::current_exception();
            return true;
        }
        wait_notified();
        return false;
    }

    Pred pred_;
    std::optional<result_type> result_;
};

inline condition::wait_awaiter condition::wait() noexcept {
    return wait_awaiter(*this);
}

template <class Pred>
condition::wait_for_awaiter<Pred> condition::wait_for(Pred pred) {
    return wait_for_awaiter<Pred>(*this, std::move(pred));
}

} // namespace coreloop::sync
