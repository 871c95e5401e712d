// future<T>: asyncio.Future on one shard. Handles share the state through a plain reference
// count; awaiting suspends the task until the future is done.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include <coreloop/detail/callback.hpp>
#include <coreloop/detail/done_awaiter.hpp>
#include <coreloop/detail/future_state.hpp>
#include <coreloop/detail/task_core.hpp>

namespace coreloop {

class event_loop;

/// Identifies a done callback for remove_done_callback (C++ callables have no equality).
enum class callback_id : std::uint64_t {};

namespace detail {

/// `co_await future`: waits for it to be done, then gives its value (a reference for an
/// lvalue future, the moved-out value for an rvalue) or throws its exception.
template <class T, bool MoveOut>
class future_awaiter : public future_waiter {
public:
    explicit future_awaiter(future_state<T>* state) noexcept
        : future_waiter(*state) {}

    /// Cancelling the awaiting task cancels the future (asyncio: Task.cancel cancels
    /// _fut_waiter); for a task this requests the inner task's cancellation.
    bool await_cancel() noexcept {
        try {
            return state_->cancel(task_->state().cancel_message());
        } catch (...) {
            return false;
        }
    }
    decltype(auto) await_resume() {
        auto* state = static_cast<future_state<T>*>(state_);
        state->mark_retrieved();
        if constexpr (std::is_void_v<T>) {
            state->value();
        } else if constexpr (MoveOut) {
            return T(std::move(state->value()));
        } else {
            return static_cast<T&>(state->value());
        }
    }
};

} // namespace detail

/// A result that will be available later (asyncio.Future). Copies share one state.
/// Errors: result() throws invalid_state_error while pending, cancelled_error if cancelled,
/// or the stored exception; set_result/set_exception throw invalid_state_error when done.
/// Cancellation: cancelling a task that awaits a future cancels the future.
/// Shard: use only on the loop that created it; it must not outlive that loop.
template <class T = void>
class future {
public:
    using value_type = T;

    future() noexcept = default;
    /// Adopts one reference to `state`.
    explicit future(detail::future_state<T>* state) noexcept
        : state_(state) {}
    future(const future& other) noexcept
        : state_(other.state_) {
        if (state_ != nullptr) {
            state_->add_ref();
        }
    }
    future(future&& other) noexcept
        : state_(std::exchange(other.state_, nullptr)) {}
    future& operator=(future other) noexcept {
        std::swap(state_, other.state_);
        return *this;
    }
    ~future() {
        if (state_ != nullptr) {
            state_->release();
        }
    }

    bool valid() const noexcept { return state_ != nullptr; }
    bool done() const noexcept { return state_->done(); }
    bool cancelled() const noexcept { return state_->cancelled(); }

    /// The value (a reference into the shared state; void for future<void>).
    std::add_lvalue_reference_t<T> result() {
        state_->mark_retrieved();
        return state_->value();
    }
    /// The exception the future ended with, or nullptr.
    std::exception_ptr exception() { return state_->exception(); }

    template <class U = T>
        requires(!std::is_void_v<U>)
    void set_result(U value) { state_->set_result(std::move(value)); }
    template <class U = T>
        requires std::is_void_v<U>
    void set_result() { state_->set_result(); }
    void set_exception(std::exception_ptr e) { state_->set_exception(std::move(e)); }
    template <class E>
    void set_exception(E e) {
        set_exception(std::make_exception_ptr(std::move(e)));
    }

    /// asyncio's cancel(msg): false if already done.
    bool cancel(std::string message = {}) { return state_->cancel(std::move(message)); }

    /// Schedules fn(future&) (or fn()) through the ready queue once the future is done
    /// (at once if it is done already), like every asyncio done callback.
    template <class F>
    callback_id add_done_callback(F&& fn);
    /// Removes the callback registered under id if it has not been scheduled; returns 1 or 0.
    std::size_t remove_done_callback(callback_id id) noexcept {
        return state_->remove_callback(static_cast<std::uint64_t>(id));
    }

    event_loop& get_loop() const noexcept { return *state_->loop()->owner; }

    /// `co_await f` on an lvalue yields a reference to the value; on an rvalue, the value.
    auto operator co_await() & noexcept { return detail::future_awaiter<T, false>(state_); }
    auto operator co_await() && noexcept { return detail::future_awaiter<T, true>(state_); }

    detail::future_state<T>* state() const noexcept { return state_; }

protected:
    detail::future_state<T>* state_ = nullptr;
};

namespace detail {

/// A done callback waiting in a future's list, then on the ready queue.
template <class T>
class done_callback final : public done_waiter, public runnable, public pooled {
public:
    template <class F>
    done_callback(future_state<T>& state, std::uint64_t callback_id, F&& fn)
        : done_waiter(&done_callback::on_done, callback_id)
        , runnable(&done_callback::run_it, &done_callback::drop)
        , state_(state)
        , fn_(std::forward<F>(fn)) {
        done_waiter::discard = &done_callback::discard_waiting;
    }

    /// Frees a callback still waiting when its future goes away undone.
    static void discard_waiting(done_waiter& w) noexcept { delete static_cast<done_callback*>(&w); }

private:
    static void on_done(done_waiter& w) noexcept {
        auto& self = static_cast<done_callback&>(w);
        self.state_.add_ref(); // the scheduled callback keeps the future alive
        self.state_.loop()->schedule(self);
    }
    static void run_it(runnable& r) noexcept;
    static void drop(runnable& r) noexcept {
        auto* self = static_cast<done_callback*>(&r);
        self->state_.release();
        delete self;
    }

    future_state<T>& state_;
    small_function<void(future<T>&)> fn_;
};

template <class T>
void done_callback<T>::run_it(runnable& r) noexcept {
    auto* self = static_cast<done_callback*>(&r);
    future<T> fut(&static_cast<future_state<T>&>(self->state_)); // adopts on_done's reference
    try {
        self->fn_(fut);
    } catch (...) {
        report_callback_exception(*self->state_.loop(), std::current_exception());
    }
    delete self;
}

} // namespace detail

template <class T>
template <class F>
callback_id future<T>::add_done_callback(F&& fn) {
    std::uint64_t id = state_->next_callback_id();
    auto wrap = [f = std::forward<F>(fn)](future<T>& fut) mutable {
        if constexpr (std::is_invocable_v<decltype(f)&, future<T>&>) {
            f(fut);
        } else {
            f();
        }
    };
    auto* node = new detail::done_callback<T>(*state_, id, std::move(wrap));
    state_->add_waiter(*node);
    return callback_id{id};
}

} // namespace coreloop
