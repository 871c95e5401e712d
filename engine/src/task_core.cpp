// A task's life: activation, steps, asyncio's cancellation bookkeeping, and the end.
#include <coreloop/detail/task_core.hpp>

#include <chrono>

#include <coreloop/event_loop.hpp>
#include <coreloop/log.hpp>

namespace coreloop::detail {

void task_core::activate(loop_core& loop,
                         std::coroutine_handle<> top,
                         std::string name,
                         context_state* context,
                         bool schedule) {
    loop_ = &loop;
    context_ = context;
    waiting_ = {};
    num_cancels_requested_ = 0;
    must_cancel_ = false;
    started_ = false;
    prev_task = nullptr;
    state_.bind_task(loop);
    id_ = loop.next_task_id++;
    if (!name.empty()) {
        name_ = std::make_unique<std::string>(std::move(name));
    }
    resume_point_ = top;
    next_task = loop.tasks;
    if (next_task != nullptr) {
        next_task->prev_task = this;
    }
    loop.tasks = this;
    ++loop.task_count;
    ++loop.live_futures;
    if (schedule) {
        loop.schedule(*this);
    }
}

bool task_core::request_cancel(std::string message) {
    if (state_.done()) {
        return false;
    }
    ++num_cancels_requested_;
    state_.set_cancel_message(std::move(message));
    if (waiting_.fn != nullptr && waiting_.fn(waiting_.ctx)) {
        return true;
    }
    must_cancel_ = true;
    return true;
}

std::uint32_t task_core::uncancel() noexcept {
    if (num_cancels_requested_ > 0) {
        --num_cancels_requested_;
        if (num_cancels_requested_ == 0) {
            must_cancel_ = false;
        }
    }
    return num_cancels_requested_;
}

void task_core::suspended_on(cancel_hook hook) noexcept {
    waiting_ = hook;
    // A cancel that arrived while the task was running applies to what it awaits now.
    if (must_cancel_ && hook.fn != nullptr && hook.fn(hook.ctx)) {
        must_cancel_ = false;
    }
}

void task_core::resumed() {
    waiting_ = {};
    if (must_cancel_) {
        must_cancel_ = false;
        throw state_.make_cancelled_error();
    }
}

std::string task_core::name() const {
    if (name_ != nullptr) {
        return *name_;
    }
    return "Task-" + std::to_string(id_);
}

void task_core::set_name(std::string name) {
    name_ = std::make_unique<std::string>(std::move(name));
}

context_state& task_core::context() {
    if (context_ == nullptr) {
        context_ = new context_state();
    }
    return *context_;
}

void task_core::step(runnable& self) noexcept {
    auto& task = static_cast<task_core&>(self);
    if (!task.started_) {
        task.started_ = true;
        if (task.must_cancel_) {
            task.end_unstarted(); // cancelled before its first step: the body never runs
            return;
        }
    }
    task_core* outer = tls_current_task;
    tls_current_task = &task;
    {
        context_scope in_context(&task.context_);
        task.resume_point_.resume(); // may finish and free the task: touch it no more
    }
    tls_current_task = outer;
}

void task_core::resume_now(std::coroutine_handle<> h) noexcept {
    resume_point_ = h;
    step(*this);
}

void task_core::end_unstarted() noexcept {
    state_.set_cancelled(state_.cancel_message());
    detach_from_loop();
}

void task_core::detach_from_loop() noexcept {
    loop_core& loop = *loop_;
    (prev_task != nullptr ? prev_task->next_task : loop.tasks) = next_task;
    if (next_task != nullptr) {
        next_task->prev_task = prev_task;
    }
    next_task = prev_task = nullptr;
    --loop.task_count;
    state_.release(); // the loop's reference
}

void task_core::abandon() noexcept {
    exception_context context;
    context.message = "Task was destroyed but it is pending!";
    context.task = any_task(this);
    loop_->report(context);
    context.task.reset();
    waiting_ = {};
    state_.set_cancelled("the event loop was closed");
    detach_from_loop();
}

} // namespace coreloop::detail

namespace coreloop {

any_task current_task() noexcept {
    return any_task(detail::tls_current_task);
}

std::vector<any_task> all_tasks() {
    detail::loop_core& loop = detail::running_loop_core();
    std::vector<any_task> tasks;
    tasks.reserve(loop.task_count);
    for (detail::task_core* t = loop.tasks; t != nullptr; t = t->next_task) {
        tasks.emplace_back(t);
    }
    return tasks;
}

} // namespace coreloop
