// lock: the waiter protocol of asyncio.Lock (Python 3.12+): release() wakes the first waiter
// without locking; the woken waiter locks when it runs, or passes the lock on if cancelled.
#include <coreloop/sync/lock.hpp>

#include <stdexcept>

namespace coreloop::sync {

using detail::waiter;

void lock::release() {
    if (!locked_) {
        throw std::runtime_error("Lock is not acquired.");
    }
    release_held();
}

void lock::release_held() noexcept {
    locked_ = false;
    wake_first();
}

void lock::wake_first() noexcept {
    // Only the head is woken: a woken head that has not run yet already holds the turn.
    waiter* first = waiters_.front();
    if (first != nullptr && first->state() == waiter::status::waiting) {
        first->wake();
    }
}

bool lock::try_acquire_now() noexcept {
    // Cancelled waiters leave the list at once, so every waiter left counts (no barging).
    if (!locked_ && waiters_.empty()) {
        locked_ = true;
        return true;
    }
    return false;
}

bool lock::cancel_wait(waiter& w) noexcept {
    switch (w.state()) {
    case waiter::status::waiting:
        waiters_.remove(w);
        w.wake_cancelled();
        if (!locked_) {
            wake_first();
        }
        return true;
    case waiter::status::woken:
        // Already handed the turn and on the ready queue: finish_wait passes it on.
        w.cancel_after_wake = true;
        return true;
    default:
        return false;
    }
}

void lock::finish_wait(waiter& w) {
    if (!take_turn(w)) {
        throw w.make_cancelled_error();
    }
}

bool lock::take_turn(waiter& w) noexcept {
    waiters_.remove(w);
    if (w.state() == waiter::status::woken && !w.cancel_after_wake) {
        locked_ = true;
        return true;
    }
    // Cancelled, before or after being handed the turn: pass it on.
    if (!locked_) {
        wake_first();
    }
    return false;
}

void lock::drop_wait(waiter& w) noexcept {
    // The waiting frame is destroyed (its task dropped at loop close): leave the queue
    // without waking anyone, since other frames may be going away too.
    waiters_.remove(w);
}

} // namespace coreloop::sync
