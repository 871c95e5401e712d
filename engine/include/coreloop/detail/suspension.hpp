// The wrapper every co_await inside a task goes through (the promise's await_transform):
// it tells the task what it is suspended on, so task::cancel can reach the awaitable, and
// delivers a pending cancel when the task resumes.
#pragma once

#include <concepts>
#include <coroutine>
#include <type_traits>
#include <utility>

#include <coreloop/detail/task_core.hpp>

namespace coreloop {

/// An awaitable that can be cancelled while a task is suspended on it (SPEC §13).
/// await_cancel() returns true if the awaitable will deliver the cancellation itself.
template <class A>
concept cancellable_awaitable = requires(A& a) {
    { a.await_cancel() }
    noexcept->std::same_as<bool>;
};

} // namespace coreloop

namespace coreloop::detail {

template <class A>
decltype(auto) get_awaiter(A&& a) {
    if constexpr (requires { std::forward<A>(a).operator co_await(); }) {
        return std::forward<A>(a).operator co_await();
    } else if constexpr (requires { operator co_await(std::forward<A>(a)); }) {
        return operator co_await(std::forward<A>(a));
    } else {
        return std::forward<A>(a);
    }
}

template <class Awaiter>
class suspension {
public:
    explicit suspension(Awaiter&& inner)
        : inner_(std::forward<Awaiter>(inner)) {}

    bool await_ready() { return inner_.await_ready(); }

    template <class Promise>
    auto await_suspend(std::coroutine_handle<Promise> h) {
        task_ = current_task_core();
        using result = decltype(inner_.await_suspend(h));
        if constexpr (std::is_void_v<result>) {
            inner_.await_suspend(h);
            register_hook();
        } else if constexpr (std::is_same_v<result, bool>) {
            if (!inner_.await_suspend(h)) {
                task_ = nullptr; // not suspended after all: nothing to check at resume
                return false;
            }
            register_hook();
            return true;
        } else {
            // Symmetric transfer to another coroutine of the same task: not a suspension
            // of the task, so there is nothing to register.
            task_ = nullptr;
            return inner_.await_suspend(h);
        }
    }

    decltype(auto) await_resume() {
        if (task_ != nullptr) {
            task_->resumed();
        }
        return inner_.await_resume();
    }

private:
    void register_hook() noexcept {
        if (task_ == nullptr) {
            return;
        }
        if constexpr (cancellable_awaitable<std::remove_reference_t<Awaiter>>) {
            task_->suspended_on(cancel_hook{&suspension::cancel_inner, this});
        } else {
            task_->suspended_on(cancel_hook{});
        }
    }

    static bool cancel_inner(void* self) noexcept {
        return static_cast<suspension*>(self)->inner_.await_cancel();
    }

    Awaiter inner_;
    task_core* task_ = nullptr;
};

template <class A>
auto make_suspension(A&& a) {
    using awaiter = decltype(get_awaiter(std::forward<A>(a)));
    return suspension<awaiter>(get_awaiter(std::forward<A>(a)));
}

} // namespace coreloop::detail
