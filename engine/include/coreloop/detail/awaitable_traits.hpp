// What the composition layer needs to know about the things it awaits: coro<T>, task<T>,
// future<T>, and a cross-shard submission<T>.
#pragma once

#include <type_traits>
#include <utility>

#include <coreloop/coro.hpp>
#include <coreloop/future.hpp>
#include <coreloop/submit_to.hpp>
#include <coreloop/task.hpp>

namespace coreloop::detail {

template <class A>
struct awaitable_result;
template <class T>
struct awaitable_result<coro<T>> {
    using type = T;
};
template <class T>
struct awaitable_result<future<T>> {
    using type = T;
};
template <class T>
struct awaitable_result<task<T>> {
    using type = T;
};

template <class T>
struct awaitable_result<submission<T>> {
    using type = T;
};

/// T for coro<T>, future<T>, task<T> and submission<T>.
template <class A>
using awaitable_result_t = typename awaitable_result<std::remove_cvref_t<A>>::type;

/// asyncio.ensure_future: a coro becomes a task on the running loop; a task or future is
/// returned as a future handle to the same state.
template <class T>
future<T> as_future(coro<T> c) {
    return create_task(std::move(c));
}
template <class T>
future<T> as_future(future<T> f) noexcept {
    return f;
}
template <class T>
future<T> as_future(task<T> t) noexcept {
    return t;
}

template <class T>
coro<T> await_submission(submission<T> s) {
    co_return co_await s;
}

/// A submission becomes a task that awaits it, so cancelling the task cancels the call.
template <class T>
future<T> as_future(submission<T> s) {
    return create_task(await_submission(std::move(s)));
}

/// A copy where T can be copied (other handles may still read the value), else a move.
template <class T>
decltype(auto) copy_or_move(T& value) {
    if constexpr (std::is_copy_constructible_v<T>) {
        return static_cast<const T&>(value);
    } else {
        return std::move(value);
    }
}

} // namespace coreloop::detail
