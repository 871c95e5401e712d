// task<T>: a coroutine scheduled on the loop (asyncio.Task), and the task-level functions
// create_task, current_task, all_tasks, ensure_future.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <coreloop/context.hpp>
#include <coreloop/coro.hpp>
#include <coreloop/future.hpp>

namespace coreloop {

/// A task of any result type: what current_task() and all_tasks() return.
/// Shard: use only on the task's loop.
class any_task {
public:
    any_task() noexcept = default;
    explicit any_task(detail::task_core* core) noexcept
        : core_(core) {
        if (core_ != nullptr) {
            core_->state().add_ref();
        }
    }
    any_task(const any_task& other) noexcept
        : any_task(other.core_) {}
    any_task(any_task&& other) noexcept
        : core_(std::exchange(other.core_, nullptr)) {}
    any_task& operator=(any_task other) noexcept {
        std::swap(core_, other.core_);
        return *this;
    }
    ~any_task() {
        if (core_ != nullptr) {
            core_->state().release();
        }
    }

    explicit operator bool() const noexcept { return core_ != nullptr; }
    friend bool operator==(const any_task& a, const any_task& b) noexcept {
        return a.core_ == b.core_;
    }

    std::string get_name() const { return core_->name(); }
    void set_name(std::string name) { core_->set_name(std::move(name)); }
    bool done() const noexcept { return core_->state().done(); }
    bool cancelled() const noexcept { return core_->state().cancelled(); }
    bool cancel(std::string message = {}) { return core_->request_cancel(std::move(message)); }
    std::uint32_t cancelling() const noexcept { return core_->cancelling(); }
    std::uint32_t uncancel() noexcept { return core_->uncancel(); }

    /// The context the task runs in (asyncio's Task.get_context).
    context get_context() const {
        detail::context_state& state = core_->context();
        state.add_ref();
        return context(&state);
    }

    /// The engine's view of the task (for the composition layer).
    detail::task_core* core() const noexcept { return core_; }

private:
    detail::task_core* core_ = nullptr;
};

/// A scheduled coroutine (asyncio.Task): a future<T> plus a name and asyncio's cancellation
/// API. The loop keeps a pending task alive until it is done, even with no handle left.
/// Cancellation: cancel(msg) cancels what the task is suspended on; cancelled_error is thrown
/// at that co_await. A task that catches it and returns normally is not cancelled.
/// Shard: use only on the loop that created it.
template <class T = void>
class task : public future<T> {
public:
    task() noexcept = default;
    /// Adopts one reference to the task's promise.
    explicit task(detail::coro_promise<T>* promise) noexcept
        : future<T>(promise) {}

    std::string get_name() const { return promise().name(); }
    void set_name(std::string name) { promise().set_name(std::move(name)); }
    /// Cancellation requests not yet withdrawn by uncancel() (asyncio's cancelling()).
    std::uint32_t cancelling() const noexcept { return promise().cancelling(); }
    /// Withdraws one cancellation request; returns the number left. At zero, a cancel not
    /// yet delivered is dropped.
    std::uint32_t uncancel() noexcept { return promise().uncancel(); }

    /// The context the task runs in (asyncio's Task.get_context).
    context get_context() const { return any_task(*this).get_context(); }

    operator any_task() const noexcept { // NOLINT(google-explicit-constructor)
        return any_task(&promise());
    }

private:
    detail::coro_promise<T>& promise() const noexcept {
        return static_cast<detail::coro_promise<T>&>(*this->state_);
    }
};

/// How create_task makes a task.
struct task_options {
    /// The task's name (default "Task-N").
    std::string name = {};
    /// Run the task's first step at once, inside create_task, until its first real
    /// suspension (asyncio's eager_start). nullopt: as the loop's task factory says.
    std::optional<bool> eager_start = {};
    /// The context the task runs in (shared, as asyncio's context= argument); nullopt: a copy
    /// of the creator's current context.
    std::optional<coreloop::context> context = {};
};

namespace detail {

template <class T>
task<T> start_task(loop_core& loop, coro<T>&& c, task_options options) {
    auto h = c.release();
    auto& promise = h.promise();
    // As asyncio: a task is started eagerly only on a running loop (its step needs one).
    bool eager = options.eager_start.value_or(loop.eager_tasks) && tls_running_loop == &loop;
    // The loop owns the first reference, the returned handle the second; both exist before
    // an eager first step can finish the task.
    context_state* context = nullptr;
    if (options.context) {
        context = options.context->state();
        context->add_ref();
    } else {
        context = snapshot_context();
    }
    promise.activate(loop, h, std::move(options.name), context, !eager);
    promise.add_ref();
    task<T> result(&promise);
    if (eager) {
        promise.run_eagerly();
    }
    return result;
}

} // namespace detail

/// Wraps c in a task on the running loop (asyncio.create_task), scheduled to start on the
/// next iteration, or started at once if eager.
/// Errors: std::runtime_error if no loop runs on this thread.
template <class T>
task<T> create_task(coro<T> c, task_options options) {
    return detail::start_task(detail::running_loop_core(), std::move(c), std::move(options));
}

// Not a default argument: GCC 12 destroys a defaulted class-type argument twice when the call
// is part of a co_await expression in a coroutine.
template <class T>
task<T> create_task(coro<T> c) {
    return create_task(std::move(c), task_options{});
}

/// create_task with a name. (A template, so that a braced task_options never matches it.)
template <class T, class Name>
    requires std::is_convertible_v<Name, std::string> task<T> create_task(coro<T> c, Name&& name) {
        return create_task(std::move(c), task_options{.name = std::forward<Name>(name)});
    }

/// asyncio.ensure_future: a coro becomes a task; a future or task is returned as it is.
template <class T>
task<T> ensure_future(coro<T> c) {
    return create_task(std::move(c));
}
template <class T>
future<T> ensure_future(future<T> f) {
    return f;
}

/// The task running now, or an empty any_task outside a task.
any_task current_task() noexcept;

/// The pending tasks of the running loop. Errors: std::runtime_error if none runs.
std::vector<any_task> all_tasks();

} // namespace coreloop
