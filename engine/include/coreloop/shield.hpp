// shield(awaitable): protect an operation from the cancellation of its awaiter.
#pragma once

#include <type_traits>
#include <utility>

#include <coreloop/detail/awaitable_traits.hpp>
#include <coreloop/event_loop.hpp>
#include <coreloop/future.hpp>

namespace coreloop {

/// Returns a future that follows `aw` (a coro is made a task first). Cancelling the task that
/// awaits the returned future cancels only that future: the inner operation keeps running.
/// A cancelled inner cancels the returned future. If the inner fails after its awaiter was
/// cancelled, nobody is left to retrieve the exception and the loop's exception handler
/// reports it ("... exception was never retrieved") instead of it being lost.
/// Shard: inside a task on the running loop.
template <class A>
auto shield(A aw) -> future<detail::awaitable_result_t<A>> {
    using T = detail::awaitable_result_t<A>;
    future<T> inner = detail::as_future(std::move(aw));
    if (inner.done()) {
        return inner;
    }
    future<T> outer = inner.get_loop().template create_future<T>();
    callback_id follow = inner.add_done_callback([outer](future<T>& in) mutable {
        if (outer.cancelled()) {
            return;
        }
        if (in.cancelled()) {
            outer.cancel();
        } else if (std::exception_ptr e = in.exception()) {
            outer.set_exception(e);
        } else if constexpr (std::is_void_v<T>) {
            outer.set_result();
        } else {
            outer.set_result(detail::copy_or_move(in.result()));
        }
    });
    outer.add_done_callback([inner, follow](future<T>&) mutable {
        if (!inner.done()) {
            inner.remove_done_callback(follow);
        }
    });
    return outer;
}

} // namespace coreloop
