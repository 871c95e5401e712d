// run_coroutine_threadsafe: start a coroutine on a loop from any thread and get a
// concurrent_future for its outcome (asyncio.run_coroutine_threadsafe).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include <coreloop/concurrent_future.hpp>
#include <coreloop/coro.hpp>
#include <coreloop/event_loop.hpp>
#include <coreloop/task.hpp>

namespace coreloop {

namespace detail {

/// A concurrent state fed by a task on `loop`; cancel() cancels that task.
template <class T>
class coro_bridge_state final : public concurrent_state<T> {
public:
    explicit coro_bridge_state(event_loop& loop) noexcept
        : loop_(loop) {}

    /// The task while it is pending. Read and written on the loop's thread only.
    task_core* task = nullptr;

    void on_cancel() noexcept override {
        auto self = std::static_pointer_cast<coro_bridge_state>(this->shared_from_this());
        try {
            loop_.call_soon_threadsafe([self] {
                if (self->task != nullptr) {
                    self->task->request_cancel({});
                }
            });
        } catch (...) {
            // The loop is closed: its close() already ended the task.
        }
    }

private:
    event_loop& loop_;
};

/// Owns the bridge's state; if destroyed before the task finished (a dropped posted callback,
/// a frame destroyed by the loop's close()), ends the future as cancelled.
template <class T>
class bridge_completion {
public:
    explicit bridge_completion(std::shared_ptr<coro_bridge_state<T>> state) noexcept
        : state_(std::move(state)) {}
    bridge_completion(bridge_completion&& other) noexcept = default;
    bridge_completion& operator=(bridge_completion&&) = delete;
    ~bridge_completion() {
        if (state_ != nullptr) {
            state_->task = nullptr;
            state_->set_cancelled();
        }
    }
    coro_bridge_state<T>& state() const noexcept { return *state_; }

private:
    std::shared_ptr<coro_bridge_state<T>> state_;
};

// The factory lives in the frame, so a coroutine lambda's captures outlive its coroutine.
template <class T, class Factory>
coro<void> run_bridged(bridge_completion<T> done, Factory factory) {
    coro_bridge_state<T>& state = done.state();
    try {
        if constexpr (std::is_void_v<T>) {
            co_await factory();
            state.task = nullptr;
            state.set_value();
        } else {
            T value = co_await factory();
            state.task = nullptr;
            state.set_value(std::move(value));
        }
    } catch (const cancelled_error&) {
        state.task = nullptr;
        state.set_cancelled();
    } catch (...) {
        state.task = nullptr;
        state.set_exception(std::current_exception());
    }
}

} // namespace detail

/// Calls coro_factory() on `loop`'s thread and runs the coroutine it returns as a task
/// there; the returned concurrent_future gets its result, exception or cancellation.
/// A factory rather than a coro: a coroutine frame comes from the pool of the thread that
/// makes it and must be freed on that thread, so the frame is made on the loop's thread.
/// The factory is moved to the loop's thread, called there once inside the task, and kept
/// until the task ends (so a coroutine lambda's captures stay valid); what it captures must
/// be safe to use and destroy there (plain values, pointers to thread-safe objects).
/// Errors: std::runtime_error if the loop is closed; an exception the factory or the
/// coroutine throws ends the future with it.
/// Cancellation: the future's cancel() cancels the task (through call_soon_threadsafe); a
/// task cancelled on the loop cancels the future; closing the loop first cancels it too.
/// Shard: any thread other than the loop's if it then blocks on the future. The loop must
/// outlive the future's cancel() calls.
template <class Factory>
auto run_coroutine_threadsafe(Factory coro_factory, event_loop& loop)
        -> concurrent_future<typename std::invoke_result_t<Factory&>::value_type> {
    using T = typename std::invoke_result_t<Factory&>::value_type;
    auto state = std::make_shared<detail::coro_bridge_state<T>>(loop);
    loop.call_soon_threadsafe([&loop, done = detail::bridge_completion<T>(state),
                               factory = std::move(coro_factory)]() mutable {
        detail::coro_bridge_state<T>& s = done.state();
        // Lazy start: the task pointer must be recorded before the body can finish.
        task<void> t = loop.create_task(
                detail::run_bridged<T, Factory>(std::move(done), std::move(factory)),
                task_options{.eager_start = false});
        s.task = any_task(t).core();
    });
    return concurrent_future<T>(std::move(state));
}

} // namespace coreloop
