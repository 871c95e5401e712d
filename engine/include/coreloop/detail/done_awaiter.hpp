// Waits until a future or task is done, whatever its outcome, without retrieving it
// (asyncio.wait on one awaitable). The building block of gather, wait, as_completed and
// task_group.
#pragma once

#include <coroutine>
#include <stdexcept>

#include <coreloop/detail/future_state.hpp>
#include <coreloop/detail/task_core.hpp>

namespace coreloop::detail {

/// Cancellation: cancelling the waiting task stops the wait (cancelled_error at the
/// co_await) and leaves the awaited future alone, as asyncio.wait does.
class done_awaiter : public done_waiter {
public:
    explicit done_awaiter(future_state_base& state) noexcept
        : done_waiter(&done_awaiter::notify_task)
        , state_(&state) {}
    done_awaiter(done_awaiter&& other) noexcept
        : done_awaiter(*other.state_) {}
    done_awaiter& operator=(done_awaiter&&) = delete;
    ~done_awaiter() { state_->remove_waiter(*this); }

    bool await_ready() const noexcept { return state_->done(); }
    void await_suspend(std::coroutine_handle<> h) {
        task_ = current_task_core();
        if (task_ == nullptr) {
            throw std::runtime_error("a future can only be awaited inside a task");
        }
        waiting_ = h;
        state_->add_waiter(*this);
    }
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
    static void notify_task(done_waiter& w) noexcept {
        auto& self = static_cast<done_awaiter&>(w);
        self.task_->wake(self.waiting_);
    }

    future_state_base* state_;
    task_core* task_ = nullptr;
    std::coroutine_handle<> waiting_;
    bool cancelled_ = false;
};

} // namespace coreloop::detail
