// condition::wait as asyncio 3.13 does it: release, wait for a notification, then re-acquire
// whatever happens, and forward a notification on any exception (gh-112202).
#include <coreloop/sync/condition.hpp>

#include <exception>
#include <stdexcept>

namespace coreloop::sync {

using detail::waiter;

/// Waits in the condition's list for notify(); a plain single suspension.
class condition::notified_awaiter {
public:
    explicit notified_awaiter(condition& c) noexcept
        : cond_(&c) {}
    notified_awaiter(const notified_awaiter&) = delete;
    notified_awaiter& operator=(const notified_awaiter&) = delete;
    ~notified_awaiter() { cond_->waiters_.remove(waiter_); }

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        waiter_.arm(h);
        cond_->waiters_.push_back(waiter_);
    }
    bool await_cancel() noexcept {
        if (waiter_.state() != waiter::status::waiting) {
            return false; // notified already: the engine throws when the task resumes
        }
        cond_->waiters_.remove(waiter_);
        waiter_.wake_cancelled();
        return true;
    }
    void await_resume() const {
        if (waiter_.state() == waiter::status::cancelled) {
            throw waiter_.make_cancelled_error();
        }
    }

private:
    condition* cond_;
    waiter waiter_;
};

coro<void> condition::wait() {
    if (!lock_->locked()) {
        throw std::runtime_error("cannot wait on un-acquired lock");
    }
    lock_->release();
    std::exception_ptr error;
    try {
        co_await notified_awaiter(*this);
    } catch (...) {
        error = std::current_exception();
    }
    // The lock must be held again before anything leaves wait, even a cancellation; a
    // cancel that hits the re-acquire is remembered and the acquire retried.
    for (;;) {
        try {
            co_await lock_->acquire();
            break;
        } catch (const cancelled_error&) {
            error = std::current_exception();
        }
    }
    if (error) {
        // This task may have been notified before the error: hand the notification on.
        wake(1);
        std::rethrow_exception(error);
    }
}

void condition::notify(std::size_t n) {
    if (!lock_->locked()) {
        throw std::runtime_error("cannot notify on un-acquired lock");
    }
    wake(n);
}

void condition::wake(std::size_t n) noexcept {
    // Woken waiters leave the list, so the first n left are exactly the ones not yet done.
    for (std::size_t i = 0; i < n; ++i) {
        waiter* w = waiters_.pop_front();
        if (w == nullptr) {
            break;
        }
        w->wake();
    }
}

} // namespace coreloop::sync
