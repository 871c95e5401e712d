// asyncio's timeout()/timeout_at() scopes as with_timeout(delay, body) and
// with_timeout_at(when, body), and wait_for(awaitable, delay) on top of them.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <coreloop/coro.hpp>
#include <coreloop/handle.hpp>
#include <coreloop/task.hpp>

namespace coreloop {

/// The deadline of a with_timeout scope (asyncio.Timeout), handed to the scope's body.
/// When the deadline passes, the scope's task is cancelled; the scope turns that cancellation,
/// and only that one, into timeout_error (an outer cancel or an outer timeout passes through).
/// Shard: the task that entered the scope.
class timeout {
public:
    using time_point = detail::clock::time_point;

    explicit timeout(std::optional<time_point> when) noexcept
        : when_(when) {}
    timeout(const timeout&) = delete;
    timeout& operator=(const timeout&) = delete;
    ~timeout() { timer_.cancel(); }

    /// The deadline, or nullopt for none.
    std::optional<time_point> when() const noexcept { return when_; }
    /// Moves the deadline (nullopt: no deadline). A deadline already past expires on the next
    /// iteration. Errors: std::runtime_error unless the scope is active.
    void reschedule(std::optional<time_point> when);
    /// Whether the deadline passed and cancelled the scope.
    bool expired() const noexcept { return state_ == state::expiring || state_ == state::expired; }

    // Used by with_timeout_at; not for users.
    void enter();
    /// Leaves the scope that ended with `error` (nullptr: normally); throws timeout_error
    /// (with the cancelled_error nested) when the scope's own expiry caused the error.
    void exit(std::exception_ptr error);

private:
    enum class state { created, entered, expiring, expired, exited };
    void on_expiry() noexcept;

    std::optional<time_point> when_;
    state state_ = state::created;
    handle timer_;
    // Not a counted handle: the scope lives in the task's own frame, so the task outlives it.
    detail::task_core* task_ = nullptr;
    std::uint32_t cancelling_at_entry_ = 0;
};

namespace detail {
template <class F>
using body_result_t = typename std::invoke_result_t<F&, timeout&>::value_type;
}

/// Runs body(timeout&) -> coro<R> with a deadline at `when` (nullopt: none) and returns its
/// result (asyncio's `async with timeout_at(when)`).
/// Errors: timeout_error if the deadline passed and cancelled the body (the cancelled_error
/// is nested); otherwise whatever the body throws.
/// Cancellation: a cancel from outside the scope passes through as cancelled_error.
/// Shard: inside a task.
template <class F>
coro<detail::body_result_t<F>> with_timeout_at(std::optional<detail::clock::time_point> when,
                                               F body) {
    using result = detail::body_result_t<F>;
    timeout scope(when);
    scope.enter();
    std::exception_ptr error;
    if constexpr (std::is_void_v<result>) {
        try {
            co_await body(scope);
        } catch (...) {
            error = std::current_exception();
        }
        scope.exit(error);
        if (error) {
            std::rethrow_exception(error);
        }
    } else {
        std::optional<result> value;
        try {
            value.emplace(co_await body(scope));
        } catch (...) {
            error = std::current_exception();
        }
        scope.exit(error);
        if (error) {
            std::rethrow_exception(error);
        }
        co_return std::move(*value);
    }
}

/// with_timeout_at(now + delay, body) (asyncio's `async with timeout(delay)`); nullopt means
/// no deadline.
template <class F>
coro<detail::body_result_t<F>> with_timeout(std::optional<detail::clock::duration> delay, F body);

namespace detail {
/// The loop's time now (the running loop's clock).
clock::time_point running_loop_time();
} // namespace detail

template <class F>
coro<detail::body_result_t<F>> with_timeout(std::optional<detail::clock::duration> delay, F body) {
    std::optional<detail::clock::time_point> when;
    if (delay) {
        when = detail::running_loop_time() + *delay;
    }
    return with_timeout_at(when, std::move(body));
}

} // namespace coreloop
