// The future state machine: completion, waiters, cancellation, unretrieved exceptions.
#include <coreloop/detail/future_state.hpp>

#include <coreloop/detail/task_core.hpp>
#include <coreloop/event_loop.hpp>

namespace coreloop::detail {

void future_state_base::check_pending() const {
    if (status_ != future_status::pending) {
        throw invalid_state_error("invalid state: the future is already done");
    }
}

void future_state_base::check_result() {
    switch (status_) {
    case future_status::pending:
        throw invalid_state_error("Result is not set.");
    case future_status::cancelled:
        throw make_cancelled_error();
    case future_status::exception:
        retrieved_ = true;
        std::rethrow_exception(exception_);
    case future_status::result:
        return;
    }
}

std::exception_ptr future_state_base::exception() {
    switch (status_) {
    case future_status::pending:
        throw invalid_state_error("Exception is not set.");
    case future_status::cancelled:
        throw make_cancelled_error();
    case future_status::exception:
        retrieved_ = true;
        return exception_;
    case future_status::result:
        return nullptr;
    }
    return nullptr;
}

bool future_state_base::cancel(std::string message) {
    return set_cancelled(std::move(message));
}

void future_state_base::set_exception(std::exception_ptr e) {
    check_pending();
    if (e == nullptr) {
        throw std::invalid_argument("set_exception needs an exception");
    }
    exception_ = std::move(e);
    complete(future_status::exception);
}

void future_state_base::set_cancel_message(std::string message) {
    if (message.empty()) {
        cancel_message_.reset();
    } else {
        cancel_message_ = std::make_unique<std::string>(std::move(message));
    }
}

bool future_state_base::set_cancelled(std::string message) noexcept {
    if (done()) {
        return false;
    }
    try {
        set_cancel_message(std::move(message));
    } catch (...) {
        cancel_message_.reset(); // out of memory: cancel without the message
    }
    complete(future_status::cancelled);
    return true;
}

void future_state_base::add_waiter(done_waiter& w) noexcept {
    if (done()) {
        w.notify(w); // asyncio schedules a callback added to a done future at once
        return;
    }
    w.linked = true;
    w.next = nullptr;
    w.prev = waiters_tail_;
    if (waiters_tail_ != nullptr) {
        waiters_tail_->next = &w;
    } else {
        waiters_head_ = &w;
    }
    waiters_tail_ = &w;
}

void future_state_base::remove_waiter(done_waiter& w) noexcept {
    if (!w.linked) {
        return;
    }
    (w.prev != nullptr ? w.prev->next : waiters_head_) = w.next;
    (w.next != nullptr ? w.next->prev : waiters_tail_) = w.prev;
    w.next = w.prev = nullptr;
    w.linked = false;
}

std::size_t future_state_base::remove_callback(std::uint64_t id) noexcept {
    std::size_t removed = 0;
    for (done_waiter* w = waiters_head_; w != nullptr;) {
        done_waiter* next = w->next;
        if (w->id == id) {
            remove_waiter(*w);
            w->discard(*w);
            ++removed;
        }
        w = next;
    }
    return removed;
}

void future_state_base::complete(future_status status) noexcept {
    status_ = status;
    // Detach the list first: a notified waiter may add or remove others.
    done_waiter* w = waiters_head_;
    waiters_head_ = waiters_tail_ = nullptr;
    while (w != nullptr) {
        done_waiter* next = w->next;
        w->next = w->prev = nullptr;
        w->linked = false;
        w->notify(*w);
        w = next;
    }
}

void future_state_base::finish_from_coroutine() noexcept {
    if (exception_ == nullptr) {
        complete(future_status::result);
        return;
    }
    try {
        std::rethrow_exception(exception_);
    } catch (const cancelled_error& e) {
        // A cancelled_error escaping the coroutine makes the task cancelled, not failed.
        try {
            set_cancel_message(e.message());
        } catch (...) {
            cancel_message_.reset();
        }
        exception_ = nullptr;
        complete(future_status::cancelled);
        return;
    } catch (...) {
    }
    complete(future_status::exception);
}

bool future_state_base::report_if_unretrieved(task_core* task) noexcept {
    // Callback nodes still waiting on a future nobody can complete any more.
    for (done_waiter* w = waiters_head_; w != nullptr;) {
        done_waiter* next = w->next;
        if (w->discard != nullptr) {
            w->discard(*w);
        }
        w = next;
    }
    waiters_head_ = waiters_tail_ = nullptr;
    if (status_ != future_status::exception || retrieved_ || loop_ == nullptr) {
        return false;
    }
    retrieved_ = true; // reported once, even if the handler keeps the task alive
    exception_context context;
    context.message = is_task_ ? "Task exception was never retrieved"
                               : "Future exception was never retrieved";
    context.exception = exception_;
    // The count is already zero: hold it at one while the report's handle exists, so
    // dropping that handle does not free the state a second time.
    refs_ = 1;
    if (task != nullptr) {
        context.task = any_task(task);
    }
    loop_->report(context);
    context.task.reset();
    // A handler that kept a handle to the task keeps it alive.
    return --refs_ > 0;
}

bool future_state_base::release_task_frame(task_core& task) noexcept {
    if (loop_ == nullptr) {
        return false;
    }
    if (report_if_unretrieved(&task)) {
        return true;
    }
    --loop_->live_futures;
    return false;
}

} // namespace coreloop::detail
