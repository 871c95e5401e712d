// coro<T>: the lazy coroutine type (a Python coroutine object). Awaiting it runs it inline by
// symmetric transfer; create_task() turns it into a scheduled task without a second allocation.
#pragma once

#include <coroutine>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include <coreloop/detail/frame_allocator.hpp>
#include <coreloop/detail/future_state.hpp>
#include <coreloop/detail/suspension.hpp>
#include <coreloop/detail/task_core.hpp>

namespace coreloop {

template <class T = void>
class coro;

namespace detail {

template <class T>
class coro_promise;

template <class T>
struct is_coro : std::false_type {};
template <class T>
struct is_coro<coro<T>> : std::true_type {};

/// In debug mode, logs that a coroutine was destroyed without ever running.
void warn_never_awaited() noexcept;

/// Promise parts that do not depend on T.
class coro_promise_base : public task_core {
public:
    explicit coro_promise_base(future_state_base& state) noexcept
        : task_core(state) {}

    std::suspend_always initial_suspend() noexcept { return {}; }

    struct final_awaiter {
        bool await_ready() noexcept { return false; }
        template <class Promise>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) noexcept {
            return h.promise().on_finish();
        }
        void await_resume() noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }

    /// Where control goes when the coroutine ends: back to the coroutine that awaited it
    /// inline, or, for a task, nowhere: the task is finished and its waiters notified.
    std::coroutine_handle<> on_finish() noexcept {
        if (continuation) {
            return continuation;
        }
        state().finish_from_coroutine();
        detach_from_loop(); // may destroy this frame: touch nothing after it
        return std::noop_coroutine();
    }

    /// Every co_await in a coroutine goes through here: a coro runs inline (asyncio's
    /// `await coro()`, not a suspension); anything else becomes a suspension of the task.
    template <class A>
    decltype(auto) await_transform(A&& a) {
        if constexpr (is_coro<std::remove_cvref_t<A>>::value) {
            return std::forward<A>(a);
        } else {
            return make_suspension(std::forward<A>(a));
        }
    }

    static void* operator new(std::size_t size) { return frame_alloc(size); }
    static void operator delete(void* p, std::size_t size) noexcept { frame_free(p, size); }

    std::coroutine_handle<> continuation;
};

template <class T>
class coro_promise final : public future_state<T>, public coro_promise_base {
public:
    coro_promise() noexcept
        : coro_promise_base(static_cast<future_state_base&>(*this)) {}

    coro<T> get_return_object() noexcept;

    template <class U>
        requires std::is_convertible_v<U&&, T>
    void return_value(U&& value) { this->value_.emplace(std::forward<U>(value)); }
    void unhandled_exception() noexcept { this->exception_ = std::current_exception(); }

    /// The outcome for the coroutine that awaited this one inline.
    T take_result() {
        if (this->exception_) {
            std::rethrow_exception(this->exception_);
        }
        return std::move(*this->value_);
    }

    bool cancel(std::string message) override { return request_cancel(std::move(message)); }

private:
    void on_last_release() noexcept override;
};

template <>
class coro_promise<void> final : public future_state<void>, public coro_promise_base {
public:
    coro_promise() noexcept
        : coro_promise_base(static_cast<future_state_base&>(*this)) {}

    coro<void> get_return_object() noexcept;

    void return_void() noexcept {}
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }

    void take_result() {
        if (exception_) {
            std::rethrow_exception(exception_);
        }
    }

    bool cancel(std::string message) override { return request_cancel(std::move(message)); }

private:
    void on_last_release() noexcept override;
};

} // namespace detail

/// A lazy coroutine returning T. It runs when awaited (inline, no scheduling) or when wrapped
/// by create_task(). Move-only; destroying a coro that never ran destroys its frame.
/// Errors: whatever the body throws comes out of `co_await`.
/// Shard: a coro runs on the shard that awaits it.
template <class T>
class [[nodiscard]] coro {
public:
    using promise_type = detail::coro_promise<T>;
    using value_type = T;

    coro() noexcept = default;
    explicit coro(std::coroutine_handle<promise_type> h) noexcept
        : handle_(h) {}
    coro(coro&& other) noexcept
        : handle_(std::exchange(other.handle_, {})) {}
    coro& operator=(coro&& other) noexcept {
        if (this != &other) {
            destroy();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    coro(const coro&) = delete;
    coro& operator=(const coro&) = delete;
    ~coro() { destroy(); }

    /// True if this object still owns a coroutine (not moved from, not made a task).
    explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

    auto operator co_await() && noexcept {
        struct awaiter {
            std::coroutine_handle<promise_type> handle;
            bool await_ready() noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
                handle.promise().continuation = caller;
                return handle;
            }
            T await_resume() { return handle.promise().take_result(); }
        };
        return awaiter{handle_};
    }

    /// Gives up ownership of the frame (create_task takes it).
    std::coroutine_handle<promise_type> release() noexcept { return std::exchange(handle_, {}); }

private:
    void destroy() noexcept {
        if (handle_) {
            if (!handle_.promise().continuation) {
                detail::warn_never_awaited();
            }
            handle_.destroy();
            handle_ = {};
        }
    }

    std::coroutine_handle<promise_type> handle_;
};

namespace detail {

template <class T>
coro<T> coro_promise<T>::get_return_object() noexcept {
    return coro<T>(std::coroutine_handle<coro_promise>::from_promise(*this));
}

inline coro<void> coro_promise<void>::get_return_object() noexcept {
    return coro<void>(std::coroutine_handle<coro_promise>::from_promise(*this));
}

template <class T>
void coro_promise<T>::on_last_release() noexcept {
    if (this->release_task_frame(*this)) {
        return;
    }
    std::coroutine_handle<coro_promise>::from_promise(*this).destroy();
}

inline void coro_promise<void>::on_last_release() noexcept {
    if (release_task_frame(*this)) {
        return;
    }
    std::coroutine_handle<coro_promise>::from_promise(*this).destroy();
}

} // namespace detail
} // namespace coreloop
