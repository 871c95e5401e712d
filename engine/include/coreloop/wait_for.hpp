// wait_for(awaitable, delay): await with a deadline (asyncio.wait_for, Python 3.12+).
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <coreloop/detail/awaitable_traits.hpp>
#include <coreloop/detail/done_awaiter.hpp>
#include <coreloop/timeout.hpp>

namespace coreloop {

namespace detail {

template <class A>
coro<awaitable_result_t<A>> await_within(A& aw, timeout&) {
    co_return co_await std::move(aw);
}

// delay <= 0: no wait at all. A finished operation gives its result; otherwise it is
// cancelled, and once it has ended the result is still taken if the cancel came too late.
template <class T>
coro<T> wait_for_now(future<T> f) {
    if (!f.done()) {
        f.cancel();
        co_await done_awaiter(*f.state());
    }
    try {
        co_return co_await std::move(f);
    } catch (const cancelled_error&) {
        std::throw_with_nested(timeout_error());
    }
}

} // namespace detail

/// Awaits aw (coro, task or future) for at most `delay` (nullopt: no limit) and returns its
/// result. On expiry aw is cancelled, its end awaited, and timeout_error thrown (an aw that
/// suppresses the cancellation and returns a value gives that value instead). A delay <= 0
/// returns aw's result if it is already done, else cancels it and throws timeout_error.
/// Errors: timeout_error; whatever aw throws.
/// Cancellation: cancelling the caller cancels aw and waits for it, as asyncio does.
/// Shard: inside a task.
template <class A>
coro<detail::awaitable_result_t<A>> wait_for(A aw, std::optional<detail::clock::duration> delay) {
    if (delay && *delay <= detail::clock::duration::zero()) {
        co_return co_await detail::wait_for_now(detail::as_future(std::move(aw)));
    }
    co_return co_await with_timeout(delay,
                                    [&aw](timeout& t) { return detail::await_within(aw, t); });
}

} // namespace coreloop
