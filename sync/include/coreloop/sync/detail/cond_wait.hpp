// The state machine behind condition::wait, condition::wait_for and barrier::wait, kept in the
// awaiter so that waiting allocates nothing: its runnable, not the task, is what notify() and
// the lock wake; it re-checks in the task's place in the loop and resumes the task only once.
#pragma once

#include <coroutine>
#include <exception>

#include <coreloop/detail/context_state.hpp>
#include <coreloop/detail/ready_queue.hpp>
#include <coreloop/sync/detail/waiter.hpp>

namespace coreloop::sync {
class condition;
class lock;
} // namespace coreloop::sync

namespace coreloop::sync::detail {

/// A task inside a condition's lock: it waits for the lock, for notifications, and re-acquires
/// the lock after each (asyncio's Condition.wait), with its two waiter nodes (one in the
/// condition's list, one in the lock's) routed to its own runnable.
class cond_wait : private coreloop::detail::runnable {
public:
    cond_wait(const cond_wait&) = delete;
    cond_wait& operator=(const cond_wait&) = delete;

protected:
    /// Called with the lock held: after begin_with_lock() takes it, and after each
    /// wait_notified() (also when cancelled_: the notification was already handed on).
    /// Returns true when done (the task resumes), or calls wait_notified() and returns false.
    /// (A function pointer, not a virtual, so awaiters need no virtual destructor.)
    using held_fn = bool (*)(cond_wait& self) noexcept;

    cond_wait(condition& c, held_fn on_held) noexcept;
    ~cond_wait();

    /// Records the waiting task. Errors: std::runtime_error outside a task.
    void bind(std::coroutine_handle<> h);
    /// Takes the lock (waiting in its FIFO if needed, as `async with cond:`), then calls
    /// on_held(). True if that finished at once (the task need not suspend).
    bool begin_with_lock();
    /// Releases the lock and queues for a notification; the lock is taken again before
    /// on_held() is next called (asyncio's wait).
    void wait_notified() noexcept;
    /// await_cancel: leaves whatever queue it is in; true while waiting (the cancel is then
    /// delivered once the lock is held again, or at once while taking it the first time).
    bool cancel() noexcept;
    /// Throws the cancellation or the stored error, if any.
    void finish() const;

    condition& cond() const noexcept { return *cond_; }
    /// Releases the lock, waking its first waiter.
    void release_lock() noexcept;

    bool cancelled_ = false;
    std::exception_ptr error_;

private:
    enum class phase : unsigned char { idle, acquire, notify, relock, held, done };

    static void run(coreloop::detail::runnable& self) noexcept;
    bool advance() noexcept;
    bool relock() noexcept;
    bool held() noexcept;
    lock& mutex() const noexcept;

    condition* cond_;
    held_fn on_held_;
    coreloop::detail::context_state** context_slot_ = nullptr; // the task's, for on_held_
    waiter notified_;                                          // in the condition's list
    waiter relock_;                                            // in the lock's list
    phase phase_ = phase::idle;
};

} // namespace coreloop::sync::detail
