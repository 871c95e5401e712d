// task_group (asyncio.TaskGroup), entered with with_task_group(body): structured concurrency
// where the first failure cancels the rest and every failure comes out in one exception_group.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <coreloop/coro.hpp>
#include <coreloop/exception_group.hpp>
#include <coreloop/future.hpp>
#include <coreloop/task.hpp>

namespace coreloop {

class task_group;

namespace detail {

/// A child of a task group: waits in the child's done list, then runs the group's
/// bookkeeping from the ready queue (asyncio's _on_task_done done callback). Holds a
/// reference to the child's state for its whole life.
class task_group_child;

} // namespace detail

/// A group of tasks that finish together (asyncio.TaskGroup). Entered with
/// with_task_group(body) or with_task_group(group, body); the scope returns only when every
/// child is done.
/// Errors: the first child that fails with something other than cancelled_error cancels the
/// other children and the body; the scope then throws exception_group (base_exception_group
/// if some error is a base_exception) holding every child error and the body's own error.
/// keyboard_interrupt and system_exit are rethrown bare (the other errors then go to the
/// loop's exception handler).
/// Cancellation: a cancellation of the task running the scope cancels the children; once
/// they are done the scope rethrows cancelled_error (exception_group if there were errors).
/// The cancellations the group makes of that task are withdrawn with uncancel() on exit, so
/// an enclosing timeout still sees its own.
/// Shard: use only on the shard that entered it.
class task_group {
public:
    task_group() noexcept = default;
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;
    ~task_group();

    /// Starts c as a task in this group (asyncio's TaskGroup.create_task), with
    /// create_task's options (name, eager_start). An eager child that finishes, or fails,
    /// inside this call is handled like any other (its done callback still goes through the
    /// ready queue).
    /// Errors: std::runtime_error if the group is not entered yet, has finished, or is
    /// shutting down after a failure or cancel(); c is then destroyed without running.
    template <class T>
    task<T> create_task(coro<T> c, task_options options = {}) {
        if (const char* refusal = refusal_reason()) {
            if (auto h = c.release()) {
                h.destroy(); // asyncio closes the coroutine: no "never awaited" warning
            }
            throw_refusal(refusal);
        }
        task<T> t = detail::start_task(*loop_, std::move(c), std::move(options));
        adopt(any_task(t).core());
        return t;
    }
    /// create_task with a name.
    template <class T, class Name>
        requires std::is_convertible_v<Name, std::string> task<T> create_task(coro<T> c,
                                                                              Name&& name) {
            return create_task(std::move(c), task_options{.name = std::forward<Name>(name)});
        }

    /// Stops the group as if it had finished normally (asyncio 3.15): cancels the children
    /// and the body; the scope then exits without raising. Idempotent; before entry, the
    /// group is cancelled as it is entered; after exit, a no-op. A cancellation of the task
    /// coming from elsewhere is never swallowed.
    void cancel();

    /// Number of children not finished yet (their done callbacks not run yet).
    std::size_t size() const noexcept { return size_; }

    // The scope protocol, used by with_task_group (asyncio's __aenter__ / __aexit__).

    /// Errors: std::runtime_error if already entered or called outside a task.
    void enter();
    /// Waits for the children and raises what the scope raises; returns normally when the
    /// body's error (if any) is a cancellation the group made itself.
    coro<void> exit(std::exception_ptr body_error);

private:
    friend class detail::task_group_child;

    const char* refusal_reason() const noexcept;
    [[noreturn]] void throw_refusal(const char* reason) const;
    void adopt(detail::task_core* child);
    void on_child_done(detail::task_group_child& child) noexcept;
    void unlink(detail::task_group_child& child) noexcept;
    void abort() noexcept;
    void cancel_parent() noexcept;
    void finish(std::exception_ptr body_error,
                bool body_cancelled,
                std::exception_ptr propagate_cancel,
                std::exception_ptr pending_cancel);
    void report_suppressed(const std::vector<std::exception_ptr>& errors,
                           const std::exception_ptr& raised) noexcept;

    detail::loop_core* loop_ = nullptr;
    detail::task_core* parent_ = nullptr; // the frame holding this group lives in its task
    detail::task_group_child* children_ = nullptr;
    std::size_t size_ = 0;
    std::vector<std::exception_ptr> errors_;
    std::exception_ptr base_error_;
    future<void> on_completed_;
    bool entered_ = false;
    bool exiting_ = false;
    bool aborting_ = false;
    bool parent_cancel_requested_ = false;
    bool cancel_on_enter_ = false;
};

namespace detail {

template <class F>
using task_group_body_result = typename std::invoke_result_t<F&, task_group&>::value_type;

template <class F>
using task_group_scope_result = std::conditional_t<std::is_void_v<task_group_body_result<F>>,
                                                   void,
                                                   std::optional<task_group_body_result<F>>>;

template <class F>
coro<task_group_scope_result<F>> run_task_group(task_group* given, F body) {
    using R = task_group_body_result<F>;
    task_group own;
    task_group& tg = given != nullptr ? *given : own;
    tg.enter();
    std::exception_ptr body_error;
    if constexpr (std::is_void_v<R>) {
        try {
            co_await std::invoke(body, tg);
        } catch (...) {
            body_error = std::current_exception();
        }
        co_await tg.exit(std::move(body_error));
    } else {
        std::optional<R> value;
        try {
            value.emplace(co_await std::invoke(body, tg));
        } catch (...) {
            body_error = std::current_exception();
        }
        co_await tg.exit(std::move(body_error));
        co_return value;
    }
}

} // namespace detail

/// Runs body(tg) in a new task group (asyncio's `async with TaskGroup() as tg:`), then waits
/// for every child. body is `coro<R>(task_group&)`, kept alive for the whole scope. Returns
/// body's value; for a non-void R, a std::optional<R> that is empty when the body was stopped
/// by tg.cancel() without producing a value.
/// Errors, Cancellation: see task_group. Shard: inside a task of the running loop.
template <class F>
    requires detail::is_coro<std::invoke_result_t<F&, task_group&>>::value
            coro<detail::task_group_scope_result<F>>
            with_task_group(F body) {
        return detail::run_task_group<F>(nullptr, std::move(body));
    }

/// Enters a group made beforehand (so that it can be cancelled before entry, or handed to
/// other code first). The group must outlive the scope and be entered only once.
template <class F>
    requires detail::is_coro<std::invoke_result_t<F&, task_group&>>::value
            coro<detail::task_group_scope_result<F>>
            with_task_group(task_group& group, F body) {
        return detail::run_task_group<F>(&group, std::move(body));
    }

} // namespace coreloop
