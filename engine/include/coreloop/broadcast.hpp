// Broadcast calls over the shards (Seastar's smp::invoke_on_all, invoke_on_others and
// map_reduce): one submit_to per shard, all sent at once, then awaited together.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <coreloop/coro.hpp>
#include <coreloop/gather.hpp>
#include <coreloop/outcome.hpp>
#include <coreloop/shard.hpp>
#include <coreloop/submit_to.hpp>
#include <coreloop/task.hpp>

namespace coreloop {
namespace detail {

/// What fn gives on one shard when sent with submit_to (a coro's value type for a coro).
template <class Fn>
using broadcast_value_t = typename submit_value<std::decay_t<Fn>>::type;

/// No shard to leave out of a broadcast.
inline constexpr shard_id no_shard = static_cast<shard_id>(-1);

/// Sends a copy of fn to every shard but `skip`, in shard order (submit_to is eager: the
/// calls are on their way when this returns; a plain fn for this shard has already run).
template <class Fn>
std::vector<submission<broadcast_value_t<Fn>>> send_to_shards(const Fn& fn, shard_id skip) {
    std::vector<submission<broadcast_value_t<Fn>>> calls;
    calls.reserve(shard_count());
    for (shard_id s = 0; s < shard_count(); ++s) {
        if (s != skip) {
            calls.push_back(submit_to(s, fn));
        }
    }
    return calls;
}

/// One outcome per call, in the order of the calls. Shared with the tasks that fill it, so a
/// waiter that outlives the broadcast's frame (it cannot, short of a loop closing under it)
/// never writes to freed memory.
template <class T>
using call_outcomes = std::vector<std::optional<outcome<T>>>;

/// Awaits one call and stores what it gave, value or exception, in its slot.
template <class T>
coro<void> settle_call(submission<T> call, std::shared_ptr<call_outcomes<T>> slots, std::size_t i) {
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(call);
            (*slots)[i].emplace(std::monostate{});
        } else {
            (*slots)[i].emplace(co_await std::move(call));
        }
    } catch (...) {
        (*slots)[i].emplace(std::current_exception());
    }
}

/// Awaits every call: each in a task of its own, so that a cancel of the awaiting task reaches
/// all of them at once (gather_settled forwards it to every waiter, each waiter to its call).
/// Gives the outcomes in call order once all calls are over; throws cancelled_error if the
/// awaiting task was cancelled meanwhile (still only once all are over).
template <class T>
coro<call_outcomes<T>> settle_calls(std::vector<submission<T>> calls) {
    auto slots = std::make_shared<call_outcomes<T>>(calls.size());
    std::vector<task<void>> waiters;
    waiters.reserve(calls.size());
    for (std::size_t i = 0; i < calls.size(); ++i) {
        // Eager: the waiter suspends on its call inside create_task. A task cancelled before
        // its first step would drop its submission, and the call would run on uncancelled.
        waiters.push_back(create_task(settle_call(std::move(calls[i]), slots, i),
                                      task_options{.eager_start = true}));
    }
    co_await gather_settled(waiters);
    co_return std::move(*slots);
}

/// Rethrows the first exception among `outcomes`, in shard order.
template <class T>
void rethrow_first(const call_outcomes<T>& outcomes) {
    for (const auto& o : outcomes) {
        if (o->has_exception()) {
            std::rethrow_exception(o->exception());
        }
    }
}

template <class T>
coro<void> await_all(std::vector<submission<T>> calls) {
    call_outcomes<T> outcomes = co_await settle_calls(std::move(calls));
    rethrow_first(outcomes);
}

template <class T>
coro<std::vector<T>> collect_all(std::vector<submission<T>> calls) {
    call_outcomes<T> outcomes = co_await settle_calls(std::move(calls));
    rethrow_first(outcomes);
    std::vector<T> values;
    values.reserve(outcomes.size());
    for (auto& o : outcomes) {
        values.push_back(std::move(*o).value());
    }
    co_return values;
}

template <class T, class Acc, class Reducer>
coro<Acc> reduce_all(std::vector<submission<T>> calls, Acc acc, Reducer reducer) {
    call_outcomes<T> outcomes = co_await settle_calls(std::move(calls));
    rethrow_first(outcomes);
    for (auto& o : outcomes) {
        acc = reducer(std::move(acc), std::move(*o).value());
    }
    co_return acc;
}

} // namespace detail

/// Calls a copy of fn() on every shard, this one included, and waits for all of them; what
/// the calls return is discarded. fn is taken as submit_to takes it: a plain function runs as
/// a callback on its shard (on this shard, inline, before invoke_on_all returns), one that
/// returns a coro<T> runs there as a task. All the calls are sent when invoke_on_all is
/// called, not when its coro is awaited; fn must be copyable, and each copy is destroyed back
/// on this shard.
/// Errors: once every call is over, the first exception in shard order is rethrown;
/// std::out_of_range or std::bad_alloc from submit_to while sending (calls already sent then
/// run to their end unawaited).
/// Cancellation: cancelling the awaiting task cancels every call still running (as submit_to
/// does for one: a coro's task on its shard is cancelled, a plain function not yet started
/// never starts); the await ends with cancelled_error once all calls are over.
/// Shard: call and await on a shard's loop thread, inside a task.
template <class Fn>
coro<void> invoke_on_all(Fn fn) {
    return detail::await_all(detail::send_to_shards(fn, detail::no_shard));
}

/// invoke_on_all on every shard but this one (nothing to do, and done at once, on an engine
/// of one shard).
/// Errors, Cancellation, Shard: as invoke_on_all.
template <class Fn>
coro<void> invoke_on_others(Fn fn) {
    return detail::await_all(detail::send_to_shards(fn, this_shard_id()));
}

/// Calls a copy of fn() on every shard, as invoke_on_all does, and gives the results by shard
/// (element s is shard s's). fn must not return void (nor a coro<void>).
/// Errors, Cancellation, Shard: as invoke_on_all.
template <class Fn>
coro<std::vector<detail::broadcast_value_t<Fn>>> map(Fn fn) {
    static_assert(!std::is_void_v<detail::broadcast_value_t<Fn>>,
                  "map() collects results: use invoke_on_all for a function returning void");
    return detail::collect_all(detail::send_to_shards(fn, detail::no_shard));
}

/// Calls a copy of mapper() on every shard, as invoke_on_all does, then folds the results on
/// this shard in shard order: acc = reducer(std::move(acc), std::move(result of shard s)),
/// starting from `initial`, and gives acc. mapper must not return void (nor a coro<void>).
/// Errors: as invoke_on_all (nothing is folded when a call failed); what reducer throws.
/// Cancellation, Shard: as invoke_on_all.
template <class Mapper, class Initial, class Reducer>
coro<Initial> map_reduce(Mapper mapper, Initial initial, Reducer reducer) {
    static_assert(!std::is_void_v<detail::broadcast_value_t<Mapper>>,
                  "map_reduce() folds results: the mapper must return a value");
    return detail::reduce_all(detail::send_to_shards(mapper, detail::no_shard), std::move(initial),
                              std::move(reducer));
}

} // namespace coreloop
