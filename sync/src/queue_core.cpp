// queue_core: asyncio.Queue's waiter protocol (Python 3.13): put and get loop until there is
// room or an item; a woken waiter that is cancelled before it runs wakes the next in line.
#include <coreloop/sync/detail/queue_core.hpp>

#include <stdexcept>

#include <coreloop/sync/exceptions.hpp>

namespace coreloop::sync::detail {

/// Waits in the getters' or putters' list for wakeup_next() or shut_down().
class queue_core::slot_awaiter {
public:
    slot_awaiter(queue_core& q, waiter_list& list) noexcept
        : q_(&q)
        , list_(&list) {}
    slot_awaiter(const slot_awaiter&) = delete;
    slot_awaiter& operator=(const slot_awaiter&) = delete;
    ~slot_awaiter() { list_->remove(waiter_); }

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        waiter_.arm(h);
        list_->push_back(waiter_);
    }
    bool await_cancel() noexcept {
        switch (waiter_.state()) {
        case waiter::status::waiting:
            list_->remove(waiter_);
            waiter_.wake_cancelled();
            return true;
        case waiter::status::woken:
            waiter_.cancel_after_wake = true; // await_resume hands the wake-up on
            return true;
        default:
            return false;
        }
    }
    void await_resume() {
        if (waiter_.state() == waiter::status::woken && !waiter_.cancel_after_wake) {
            return;
        }
        if (waiter_.state() == waiter::status::woken) {
            // Woken for an item (or a slot) this task will not take: wake the next in line.
            const bool is_getter = list_ == &q_->getters_;
            if (is_getter ? !q_->empty() : !q_->full()) {
                q_->wakeup_next(*list_);
            }
        }
        throw waiter_.make_cancelled_error();
    }

private:
    queue_core* q_;
    waiter_list* list_;
    waiter waiter_;
};

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

coro<void> queue_core::wait_not_empty() {
    while (empty()) {
        if (shutdown_) {
            throw queue_shut_down();
        }
        co_await slot_awaiter(*this, getters_);
    }
}

coro<void> queue_core::wait_not_full() {
    while (full()) {
        if (shutdown_) {
            throw queue_shut_down();
        }
        co_await slot_awaiter(*this, putters_);
    }
}

} // namespace coreloop::sync::detail
