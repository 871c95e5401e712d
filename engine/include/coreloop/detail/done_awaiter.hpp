// Waits until a future or task is done, whatever its outcome, without retrieving it
// (asyncio.wait on one awaitable). The building block of gather, wait, as_completed and
// task_group.
#pragma once

#include <coroutine>
#include <stdexcept>

#include <coreloop/detail/future_state.hpp>
#include <coreloop/detail/task_core.hpp>

namespace coreloop::detail {

/// A task waiting for a future to be done: a node in the future's waiter list that makes the
/// task ready (through the ready queue) when the future completes. Awaiters of futures build
/// on it and add what cancelling and resuming mean for them.
class future_waiter : public done_waiter {
public:
    explicit future_waiter(future_state_base& state) noexcept
        : done_waiter(&future_waiter::notify_task)
        , state_(&state) {}
    future_waiter(future_waiter&& other) noexcept
        : future_waiter(*other.state_) {}
    future_waiter& operator=(future_waiter&&) = delete;
    ~future_waiter() { state_->remove_waiter(*this); }

    bool await_ready() const noexcept { return state_->done(); }
    void await_suspend(std::coroutine_handle<> h) {
        task_ = current_task_core();
        if (task_ == nullptr) {
            throw std::runtime_error("a future can only be awaited inside a task");
        }
        waiting_ = h;
        state_->add_waiter(*this);
    }

protected:
    future_state_base* state_;
    task_core* task_ = nullptr;
    std::coroutine_handle<> waiting_;

private:
    static void notify_task(done_waiter& w) noexcept {
        auto& self = static_cast<future_waiter&>(w);
        self.task_->wake(self.waiting_);
    }
};

/// Waits until a future or task is done, whatever its outcome, without retrieving it.
/// Cancellation: cancelling the waiting task stops the wait (cancelled_error at the
/// co_await) and leaves the awaited future alone, as asyncio.wait does.
class done_awaiter : public future_waiter {
public:
    using future_waiter::future_waiter;

    bool await_cancel() noexcept {
        if (!linked) {
            return false; // already done: the task resumes and the cancel is thrown then
        }
        state_->remove_waiter(*this);
        cancelled_ = true;
        task_->wake(waiting_);
        return true;
    }
    void await_resume() const {
        if (cancelled_) {
            throw task_->state().make_cancelled_error();
        }
    }

private:
    bool cancelled_ = false;
};

} // namespace coreloop::detail
