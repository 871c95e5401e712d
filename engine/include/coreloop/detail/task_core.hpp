// What makes a coroutine frame a task: its step on the ready queue, its name, and asyncio's
// cancellation bookkeeping (_must_cancel, _fut_waiter, _num_cancels_requested).
#pragma once

#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>

#include <coreloop/detail/context_state.hpp>
#include <coreloop/detail/future_state.hpp>
#include <coreloop/detail/loop_core.hpp>
#include <coreloop/detail/ready_queue.hpp>

namespace coreloop::detail {

/// What a task is suspended on, as far as cancellation is concerned: cancel() calls fn(ctx).
/// fn returns true if the awaitable takes charge of delivering the cancellation (it will
/// resume the task with cancelled_error, or deliver a result it already had and re-arm the
/// cancel for the next suspension); false if it cannot (then the cancel is thrown when the task
/// resumes, asyncio's _must_cancel).
struct cancel_hook {
    bool (*fn)(void* ctx) noexcept; // cancel_hook{} is "nothing to cancel"
    void* ctx;
};

class task_core : public runnable {
public:
    explicit task_core(future_state_base& state) noexcept
        : runnable(&task_core::step)
        , state_(state) {}
    task_core(const task_core&) = delete;
    task_core& operator=(const task_core&) = delete;
    ~task_core() {
        if (context_ != nullptr) {
            context_->release();
        }
    }

    /// Turns the coroutine `top` into a task on `loop`, scheduled to start (unless it is to
    /// be started eagerly by run_eagerly()).
    /// The task runs in `context` (adopted; nullptr: an empty one, made when first needed).
    void activate(loop_core& loop,
                  std::coroutine_handle<> top,
                  std::string name,
                  context_state* context,
                  bool schedule);
    /// Runs the task's first step now, inside the creator (an eager task): a task that ends
    /// before its first real suspension never touches the ready queue.
    void run_eagerly() noexcept { step(*this); }
    /// Resumes `h` (a frame of this task, suspended and not on the ready queue) now, as the
    /// task's step would: for a waiter node that re-checks its primitive in the loop
    /// iteration where the task would have run, and resumes the task only once it can finish.
    void resume_now(std::coroutine_handle<> h) noexcept;

    /// Makes the task ready to resume `h` (a frame of this task) on the next iteration.
    void wake(std::coroutine_handle<> h) noexcept {
        resume_point_ = h;
        loop_->schedule(*this);
    }

    // asyncio's Task.cancel / cancelling / uncancel.
    bool request_cancel(std::string message);
    std::uint32_t cancelling() const noexcept { return num_cancels_requested_; }
    std::uint32_t uncancel() noexcept;

    /// Called by the suspension wrapper around each co_await of the task.
    void suspended_on(cancel_hook hook) noexcept;
    /// Called when the task resumes from a suspension; throws a pending cancel (asyncio
    /// throws CancelledError into the coroutine in __step when _must_cancel is set).
    void resumed();
    /// An awaitable that delivered its result despite a cancel it had taken charge of:
    /// the cancel is raised at the task's next suspension (no bytes are lost).
    void rearm_cancel() noexcept { must_cancel_ = true; }

    future_state_base& state() noexcept { return state_; }
    loop_core* loop() const noexcept { return loop_; }
    std::uint64_t id() const noexcept { return id_; }
    std::string name() const;
    void set_name(std::string name);
    /// The task's context (made now if it was still empty).
    context_state& context();

    /// Called by the promise when the task's coroutine finishes: unlinks it from the loop
    /// and drops the loop's reference (which may destroy the frame).
    void detach_from_loop() noexcept;
    /// Loop close: a pending task is reported and ended as cancelled without running.
    void abandon() noexcept;

    task_core* next_task; // set by activate()
    task_core* prev_task;

private:
    static void step(runnable& self) noexcept;
    void end_unstarted() noexcept;

    future_state_base& state_;
    // Read by the destructor, so set for every coroutine.
    std::unique_ptr<std::string> name_;
    context_state* context_ = nullptr;
    // Set by activate(): a coroutine that never becomes a task does not pay for them.
    loop_core* loop_;
    std::coroutine_handle<> resume_point_;
    cancel_hook waiting_;
    std::uint64_t id_;
    std::uint32_t num_cancels_requested_;
    bool must_cancel_;
    bool started_;
};

/// The task running on this thread; nullptr outside a task.
inline task_core* current_task_core() noexcept {
    return tls_current_task;
}

} // namespace coreloop::detail
