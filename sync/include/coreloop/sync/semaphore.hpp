// semaphore and bounded_semaphore: asyncio.Semaphore / BoundedSemaphore for one shard.
#pragma once

#include <coroutine>
#include <cstdint>
#include <limits>

#include <coreloop/sync/detail/waiter.hpp>
#include <coreloop/sync/guard.hpp>

namespace coreloop::sync {

/// A counter of free slots for tasks of one shard (asyncio.Semaphore). acquire() takes a
/// slot, waiting in FIFO order; a new acquire() queues behind waiters even if a slot is free.
/// Shard: create and use it on one loop; it must outlive every task waiting on it.
class semaphore {
public:
    class acquire_awaiter;
    class scoped_awaiter;

    /// Errors: std::invalid_argument if value < 0.
    explicit semaphore(std::int64_t value = 1)
        : semaphore(value, std::numeric_limits<std::int64_t>::max()) {}
    semaphore(const semaphore&) = delete;
    semaphore& operator=(const semaphore&) = delete;

    /// `co_await s.acquire()` takes a slot, at once (no suspension) if one is free and
    /// nobody waits, else in FIFO order.
    /// Errors: std::runtime_error if awaited outside a task.
    /// Cancellation: no slot is taken; a waiter woken then cancelled gives its slot back and
    /// wakes the next waiter.
    /// Shard: inside a task on the semaphore's loop.
    [[nodiscard]] acquire_awaiter acquire() noexcept;

    /// As acquire(), returning a guard that releases the slot (`async with sem:`).
    [[nodiscard]] scoped_awaiter scoped() noexcept;

    /// Gives a slot back and wakes the first waiter (through the ready queue).
    /// Errors: std::invalid_argument on a bounded_semaphore released above its initial value.
    /// Shard: the semaphore's loop.
    void release();

    /// True if acquire() would wait: no free slot, or tasks already waiting.
    bool locked() const noexcept { return value_ == 0 || !waiters_.empty(); }

    /// Free slots not yet handed to a waiter (asyncio's _value).
    std::int64_t value() const noexcept { return value_; }

protected:
    semaphore(std::int64_t value, std::int64_t bound);

private:
    friend class guard<semaphore>;

    void release_held() noexcept;
    bool wake_up_next() noexcept;
    void wake_while_free() noexcept;
    bool cancel_wait(detail::waiter& w) noexcept;
    void finish_wait(detail::waiter& w);
    void drop_wait(detail::waiter& w) noexcept;

    detail::waiter_list waiters_; // waiting and woken-not-yet-run, in FIFO order
    std::int64_t value_;
    std::int64_t bound_;
};

/// A semaphore that refuses to be released above its initial value
/// (asyncio.BoundedSemaphore).
/// Shard: as semaphore.
class bounded_semaphore : public semaphore {
public:
    /// Errors: std::invalid_argument if value < 0.
    explicit bounded_semaphore(std::int64_t value = 1)
        : semaphore(value, value) {}
};

/// What semaphore::acquire() returns; co_await it once.
class [[nodiscard]] semaphore::acquire_awaiter {
public:
    explicit acquire_awaiter(semaphore& s) noexcept
        : sem_(&s) {}
    acquire_awaiter(acquire_awaiter&& other) noexcept
        : sem_(other.sem_) {}
    acquire_awaiter& operator=(acquire_awaiter&&) = delete;
    ~acquire_awaiter() {
        if (waiter_.linked()) {
            sem_->drop_wait(waiter_);
        }
    }

    bool await_ready() noexcept {
        if (sem_->locked()) {
            return false;
        }
        --sem_->value_;
        return true;
    }
    void await_suspend(std::coroutine_handle<> h) {
        waiter_.arm(h);
        sem_->waiters_.push_back(waiter_);
    }
    bool await_cancel() noexcept { return sem_->cancel_wait(waiter_); }
    void await_resume() {
        if (waiter_.state() != detail::waiter::status::idle) {
            sem_->finish_wait(waiter_);
        }
    }

protected:
    semaphore* sem_;

private:
    detail::waiter waiter_;
};

/// What semaphore::scoped() returns: acquire_awaiter whose result is a guard.
class [[nodiscard]] semaphore::scoped_awaiter : public semaphore::acquire_awaiter {
public:
    using acquire_awaiter::acquire_awaiter;
    guard<semaphore> await_resume() {
        acquire_awaiter::await_resume();
        return guard<semaphore>(*sem_);
    }
};

inline semaphore::acquire_awaiter semaphore::acquire() noexcept {
    return acquire_awaiter(*this);
}

inline semaphore::scoped_awaiter semaphore::scoped() noexcept {
    return scoped_awaiter(*this);
}

} // namespace coreloop::sync
