// sleep(delay[, result]): suspend the task for a while (asyncio.sleep).
#pragma once

#include <chrono>
#include <coroutine>
#include <utility>

#include <coreloop/detail/task_core.hpp>
#include <coreloop/detail/timer_queue.hpp>

namespace coreloop {

namespace detail {

/// Waits on the loop's timer heap from inside the awaiting frame: no allocation.
class sleep_awaiter : public timer_entry {
public:
    explicit sleep_awaiter(clock::duration delay) noexcept
        : timer_entry(&sleep_awaiter::fire_it)
        , delay_(delay) {}
    sleep_awaiter(sleep_awaiter&& other) noexcept
        : sleep_awaiter(other.delay_) {}
    sleep_awaiter& operator=(sleep_awaiter&&) = delete;
    ~sleep_awaiter();

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    bool await_cancel() noexcept;
    void await_resume() const;

private:
    static void fire_it(timer_entry& t) noexcept;

    clock::duration delay_;
    task_core* task_ = nullptr;
    std::coroutine_handle<> waiting_;
    bool cancelled_ = false;
};

template <class T>
class sleep_value_awaiter : public sleep_awaiter {
public:
    sleep_value_awaiter(clock::duration delay, T value)
        : sleep_awaiter(delay)
        , value_(std::move(value)) {}
    sleep_value_awaiter(sleep_value_awaiter&&) noexcept = default;
    T await_resume() {
        sleep_awaiter::await_resume();
        return std::move(value_);
    }

private:
    T value_;
};

} // namespace detail

/// Suspends the current task for `delay`. A zero or negative delay yields exactly once
/// (the task runs again on the next iteration; no timer).
/// Cancellation: the timer is removed at once and cancelled_error thrown here.
/// Shard: inside a task on the running loop.
template <class Rep, class Period>
[[nodiscard]] detail::sleep_awaiter sleep(std::chrono::duration<Rep, Period> delay) noexcept {
    return detail::sleep_awaiter(std::chrono::duration_cast<detail::clock::duration>(delay));
}

/// As sleep(delay), then returns `result`.
template <class Rep, class Period, class T>
[[nodiscard]] detail::sleep_value_awaiter<T> sleep(std::chrono::duration<Rep, Period> delay,
                                                   T result) {
    return {std::chrono::duration_cast<detail::clock::duration>(delay), std::move(result)};
}

} // namespace coreloop
