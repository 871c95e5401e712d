// queue_core: asyncio.Queue's waiter protocol (Python 3.13): put and get loop until there is
// room or an item; a woken waiter that is cancelled before it runs wakes the next in line.
#include <coreloop/sync/detail/queue_core.hpp>

#include <stdexcept>

#include <coreloop/sync/exceptions.hpp>

namespace coreloop::sync::detail {

bool queue_core::slot_wait::suspend(std::coroutine_handle<> h) {
    if (q_->shutdown_ || has_room()) {
        return false;
    }
    waiter_.arm(h, this);
    list().push_back(waiter_);
    return true;
}

bool queue_core::slot_wait::cancel() noexcept {
    switch (waiter_.state()) {
    case waiter::status::waiting:
        list().remove(waiter_);
        waiter_.wake_cancelled();
        return true;
    case waiter::status::woken:
        waiter_.cancel_after_wake = true; // finish() hands the wake-up on
        return true;
    default:
        return false;
    }
}

void queue_core::slot_wait::run(coreloop::detail::runnable& self) noexcept {
    auto& s = static_cast<slot_wait&>(self);
    if (s.waiter_.state() == waiter::status::woken && !s.waiter_.cancel_after_wake &&
        !s.has_room() && !s.q_->shutdown_) {
        // Woken, but a get_nowait (put_nowait) took the item (room) first: wait again.
        s.waiter_.rearm();
        s.list().push_back(s.waiter_);
        return;
    }
    s.waiter_.resume(); // may end the task and free this frame: touch nothing after
}

void queue_core::slot_wait::finish() {
    switch (waiter_.state()) {
    case waiter::status::idle:
        return; // did not suspend
    case waiter::status::cancelled:
        throw waiter_.make_cancelled_error();
    default:
        break;
    }
    if (waiter_.cancel_after_wake) {
        // Woken for an item (or a slot) this task will not take: wake the next in line.
        if (has_room()) {
            q_->wakeup_next(list());
        }
        throw waiter_.make_cancelled_error();
    }
    if (!has_room()) {
        throw queue_shut_down(); // woken by shutdown() with nothing for it
    }
}

void queue_core::check_put() const {
    if (shutdown_) {
        throw queue_shut_down();
    }
    if (full()) {
        throw queue_full();
    }
}

void queue_core::note_put() noexcept {
    ++size_;
    ++unfinished_;
    finished_.clear();
    wakeup_next(getters_);
}

void queue_core::check_get() const {
    if (empty()) {
        if (shutdown_) {
            throw queue_shut_down();
        }
        throw queue_empty();
    }
}

void queue_core::note_get() noexcept {
    --size_;
    wakeup_next(putters_);
}

void queue_core::note_dropped() noexcept {
    --size_;
    if (unfinished_ > 0) {
        --unfinished_;
    }
}

void queue_core::task_done() {
    if (unfinished_ == 0) {
        throw std::invalid_argument("task_done() called too many times");
    }
    if (--unfinished_ == 0) {
        finished_.set();
    }
}

void queue_core::shut_down(bool immediate) noexcept {
    shutdown_ = true;
    if (immediate && unfinished_ == 0) {
        finished_.set();
    }
    while (waiter* w = getters_.pop_front()) {
        w->wake();
    }
    while (waiter* w = putters_.pop_front()) {
        w->wake();
    }
}

void queue_core::wakeup_next(waiter_list& waiters) noexcept {
    // Cancelled waiters leave the list at once, so the head is the next one not cancelled.
    if (waiter* w = waiters.pop_front()) {
        w->wake();
    }
}

} // namespace coreloop::sync::detail
