// event: set() empties the waiter list, waking each waiter in FIFO order.
#include <coreloop/sync/event.hpp>

namespace coreloop::sync {

using detail::waiter;

void event::set() noexcept {
    if (value_) {
        return;
    }
    value_ = true;
    while (waiter* w = waiters_.pop_front()) {
        w->wake();
    }
}

bool event::wait_awaiter::await_cancel() noexcept {
    if (waiter_.state() != waiter::status::waiting) {
        // Woken already: the engine throws cancelled_error when the task resumes.
        return false;
    }
    event_->waiters_.remove(waiter_);
    waiter_.wake_cancelled();
    return true;
}

void event::wait_awaiter::await_resume() const {
    if (waiter_.state() == waiter::status::cancelled) {
        throw waiter_.make_cancelled_error();
    }
}

} // namespace coreloop::sync
