// semaphore: asyncio's protocol (Python 3.12+): a slot is taken from value_ when a waiter is
// woken; the woken waiter keeps its place in the list (so locked() stays true) until it runs.
#include <coreloop/sync/semaphore.hpp>

#include <stdexcept>

namespace coreloop::sync {

using detail::waiter;

semaphore::semaphore(std::int64_t value, std::int64_t bound)
    : value_(value)
    , bound_(bound) {
    if (value < 0) {
        throw std::invalid_argument("Semaphore initial value must be >= 0");
    }
}

void semaphore::release() {
    if (value_ >= bound_) {
        throw std::invalid_argument("BoundedSemaphore released too many times");
    }
    release_held();
}

void semaphore::release_held() noexcept {
    ++value_;
    wake_up_next();
}

bool semaphore::wake_up_next() noexcept {
    for (waiter* w = waiters_.front(); w != nullptr; w = detail::waiter_list::next(*w)) {
        if (w->state() == waiter::status::waiting) {
            --value_;
            w->wake();
            return true;
        }
    }
    return false;
}

void semaphore::wake_while_free() noexcept {
    // New waiters may have queued behind FIFO order while slots were free: wake as many as
    // there are slots (asyncio's `finally` in acquire).
    while (value_ > 0 && wake_up_next()) {
    }
}

bool semaphore::cancel_wait(waiter& w) noexcept {
    switch (w.state()) {
    case waiter::status::waiting:
        waiters_.remove(w);
        w.wake_cancelled();
        return true;
    case waiter::status::woken:
        w.cancel_after_wake = true; // finish_wait gives the slot back
        return true;
    default:
        return false;
    }
}

void semaphore::finish_wait(waiter& w) {
    waiters_.remove(w);
    const bool acquired = w.state() == waiter::status::woken && !w.cancel_after_wake;
    if (w.state() == waiter::status::woken && w.cancel_after_wake) {
        ++value_; // woken but not taking the slot: undo what wake_up_next did
    }
    wake_while_free();
    if (!acquired) {
        throw w.make_cancelled_error();
    }
}

void semaphore::drop_wait(waiter& w) noexcept {
    // The waiting frame is destroyed (loop close): leave without waking anyone, but give
    // back a slot already handed to it.
    if (w.state() == waiter::status::woken) {
        ++value_;
    }
    waiters_.remove(w);
}

} // namespace coreloop::sync
