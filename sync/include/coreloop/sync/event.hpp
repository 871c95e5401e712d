// event: asyncio.Event for one shard, a flag tasks can wait for.
#pragma once

#include <coroutine>

#include <coreloop/sync/detail/waiter.hpp>

namespace coreloop::sync {

/// A flag, initially false, that tasks can wait for (asyncio.Event). set() wakes every
/// waiter through the ready queue; a task created before set() runs before they resume.
/// Shard: create and use it on one loop; it must outlive every task waiting on it.
class event {
public:
    class wait_awaiter;

    event() noexcept = default;
    event(const event&) = delete;
    event& operator=(const event&) = delete;

    /// `co_await e.wait()` returns at once if the flag is set, else when set() is called.
    /// Errors: std::runtime_error if awaited outside a task.
    /// Cancellation: the task leaves the waiters; cancelled_error is thrown even if set()
    /// had already woken it (as asyncio does).
    /// Shard: inside a task on the event's loop.
    [[nodiscard]] wait_awaiter wait() noexcept;

    /// Sets the flag and wakes all waiters. No-op if already set.
    /// Shard: the event's loop.
    void set() noexcept;

    /// Resets the flag; later wait() calls block until the next set().
    /// Shard: the event's loop.
    void clear() noexcept { value_ = false; }

    /// The flag.
    bool is_set() const noexcept { return value_; }

private:
    detail::waiter_list waiters_;
    bool value_ = false;
};

/// What event::wait() returns; co_await it once.
class [[nodiscard]] event::wait_awaiter {
public:
    explicit wait_awaiter(event& e) noexcept
        : event_(&e) {}
    wait_awaiter(wait_awaiter&& other) noexcept
        : event_(other.event_) {}
    wait_awaiter& operator=(wait_awaiter&&) = delete;
    ~wait_awaiter() { event_->waiters_.remove(waiter_); }

    bool await_ready() const noexcept { return event_->value_; }
    void await_suspend(std::coroutine_handle<> h) {
        waiter_.arm(h);
        event_->waiters_.push_back(waiter_);
    }
    bool await_cancel() noexcept;
    void await_resume() const;

private:
    event* event_;
    detail::waiter waiter_;
};

inline event::wait_awaiter event::wait() noexcept {
    return wait_awaiter(*this);
}

} // namespace coreloop::sync
