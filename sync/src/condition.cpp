// condition: notify and the lock check; the waiting itself is detail::cond_wait
// (cond_wait.cpp), asyncio 3.13's Condition.wait without a coroutine frame.
#include <coreloop/sync/condition.hpp>

#include <stdexcept>

namespace coreloop::sync {

using detail::waiter;

void condition::check_locked() const {
    if (!lock_->locked()) {
        throw std::runtime_error("cannot wait on un-acquired lock");
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
