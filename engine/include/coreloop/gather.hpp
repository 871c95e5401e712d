// gather(): run awaitables concurrently and collect their results in argument order
// (asyncio.gather), and gather_settled(): the same with return_exceptions=True.
#pragma once

#include <array>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <coreloop/coro.hpp>
#include <coreloop/detail/awaitable_traits.hpp>
#include <coreloop/detail/child_watch.hpp>
#include <coreloop/future.hpp>
#include <coreloop/outcome.hpp>
#include <coreloop/task.hpp>

namespace coreloop {
namespace detail {

/// asyncio's _GatheringFuture, living in the gather's frame: a watch on each distinct child
/// running asyncio's _done_callback inline, and the awaiting task's cancel forwarded to every
/// child (_GatheringFuture.cancel).
class gather_awaiter {
public:
    using watch = child_watch<gather_awaiter>;

    /// `watches[i].child` is child i's state, or nullptr for a repeat of an earlier child.
    gather_awaiter(std::span<watch> watches, bool settled) noexcept
        : watches_(watches)
        , settled_(settled) {
        for (auto& w : watches_) {
            unique_ += w.child != nullptr ? 1U : 0U;
        }
    }
    gather_awaiter(const gather_awaiter&) = delete;
    gather_awaiter& operator=(const gather_awaiter&) = delete;
    /// Left early (a child failed) or destroyed mid-wait: stop watching, and mark the
    /// exceptions of children still running retrieved, as _done_callback does once the
    /// outer future is done.
    ~gather_awaiter() {
        for (auto& w : watches_) {
            if (w.linked) {
                w.unwatch();
                w.child->mark_retrieved();
            }
        }
    }

    bool await_ready() const noexcept { return unique_ == 0; }
    void await_suspend(std::coroutine_handle<> h) {
        task_ = current_task_core();
        if (task_ == nullptr) {
            throw std::runtime_error("gather() can only be awaited inside a task");
        }
        waiting_ = h;
        for (std::uint32_t i = 0; i < watches_.size(); ++i) {
            if (watches_[i].child != nullptr) {
                // A child done already is counted at once, in argument order.
                watches_[i].watch(*this, *watches_[i].child, i);
            }
        }
    }
    /// _GatheringFuture.cancel: cancels every child not done; true if any accepted.
    bool await_cancel() noexcept {
        if (decided_) {
            return false; // the outcome is known: the task throws when it resumes
        }
        // Set first: a child future ends (and is counted) inside its cancel().
        cancel_requested_ = true;
        bool any = false;
        for (auto& w : watches_) {
            if (w.child != nullptr && !w.child->done()) {
                try {
                    any = w.child->cancel(task_->state().cancel_message()) || any;
                } catch (...) {
                    // Out of memory copying the message: that child stays uncancelled.
                }
            }
        }
        cancel_requested_ = any;
        return any;
    }
    void await_resume() const {
        if (error_) {
            std::rethrow_exception(error_);
        }
    }

    /// asyncio's _done_callback for child `index`.
    void on_child_done(std::uint32_t index) noexcept {
        future_state_base& child = *watches_[index].child;
        ++finished_;
        if (child.status() == future_status::exception) {
            child.mark_retrieved(); // taken by the outer, returned in a list, or dropped
        }
        if (decided_) {
            return;
        }
        if (!settled_ && child.status() == future_status::cancelled) {
            decide(cancelled_from(child));
        } else if (!settled_ && child.status() == future_status::exception) {
            decide(child.exception());
        } else if (finished_ == unique_) {
            // A gather cancelled from outside ends cancelled whatever its children did.
            decide(cancel_requested_ ? cancelled_from(child) : nullptr);
        }
    }

private:
    static std::exception_ptr cancelled_from(const future_state_base& child) noexcept {
        try {
            return std::make_exception_ptr(cancelled_error(child.cancel_message()));
        } catch (...) {
            return std::current_exception();
        }
    }
    void decide(std::exception_ptr error) noexcept {
        decided_ = true;
        error_ = std::move(error);
        task_->wake(waiting_);
    }

    std::span<watch> watches_;
    std::exception_ptr error_;
    task_core* task_ = nullptr;
    std::coroutine_handle<> waiting_;
    std::uint32_t unique_ = 0;
    std::uint32_t finished_ = 0;
    bool settled_;
    bool decided_ = false;
    bool cancel_requested_ = false;
};

/// void results become std::monostate in tuples and vectors.
template <class T>
using gather_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// What gather accepts: coro<T> (made a task here), task<T>, future<T>, submission<T> (awaited
/// by a task made here, so cancelling the gather cancels the cross-shard call).
template <class A>
struct gather_child_traits {
    static constexpr bool valid = false;
};
template <class T>
struct gather_child_traits<coro<T>> {
    static constexpr bool valid = true;
    static constexpr bool owned = true; // nobody else can read the result: move it out
    using type = T;
};
template <class T>
struct gather_child_traits<task<T>> {
    static constexpr bool valid = true;
    static constexpr bool owned = false;
    using type = T;
};
template <class T>
struct gather_child_traits<future<T>> : gather_child_traits<task<T>> {};
template <class T>
struct gather_child_traits<submission<T>> : gather_child_traits<coro<T>> {};

template <class A>
concept gather_child = gather_child_traits<std::remove_cvref_t<A>>::valid;

template <class A>
using gather_child_t = typename gather_child_traits<std::remove_cvref_t<A>>::type;

template <class T>
future<T> to_gather_child(coro<T>&& c) {
    return create_task(std::move(c));
}
template <class T>
future<T> to_gather_child(const future<T>& f) noexcept {
    return f;
}
template <class T>
future<T> to_gather_child(submission<T>&& s) {
    return as_future(std::move(s));
}

/// The value of a child that ended with a result: moved out of a child gather made itself,
/// copied from one the caller may still read (moved if T cannot be copied).
template <class T>
gather_value_t<T> take_gathered(future<T>& f, bool owned) {
    if constexpr (std::is_void_v<T>) {
        f.state()->value();
        return {};
    } else {
        T& value = f.state()->value();
        if constexpr (std::is_copy_constructible_v<T>) {
            if (!owned) {
                return value;
            }
        }
        return std::move(value);
    }
}

template <class T>
outcome<T> settle_gathered(future<T>& f, bool owned) {
    auto* state = f.state();
    switch (state->status()) {
    case future_status::cancelled:
        return outcome<T>(std::make_exception_ptr(cancelled_error(state->cancel_message())));
    case future_status::exception:
        return outcome<T>(state->exception());
    default:
        return outcome<T>(take_gathered(f, owned));
    }
}

template <bool Settled, class T>
using gathered_t = std::conditional_t<Settled, outcome<T>, gather_value_t<T>>;

template <bool Settled, class T>
gathered_t<Settled, T> collect_gathered(future<T>& f, bool owned) {
    if constexpr (Settled) {
        return settle_gathered(f, owned);
    } else {
        return take_gathered(f, owned);
    }
}

template <bool Settled, class... Ts, std::size_t... I>
coro<std::tuple<gathered_t<Settled, Ts>...>> gather_tuple(std::tuple<future<Ts>...> children,
                                                          std::array<bool, sizeof...(Ts)> owned,
                                                          std::index_sequence<I...> /*unused*/) {
    std::array<gather_awaiter::watch, sizeof...(Ts)> watches;
    std::array<future_state_base*, sizeof...(Ts)> states{std::get<I>(children).state()...};
    std::vector<bool> first = first_occurrences(states);
    for (std::size_t i = 0; i < states.size(); ++i) {
        watches[i].child = first[i] ? states[i] : nullptr;
    }
    gather_awaiter awaiter(watches, Settled);
    co_await awaiter;
    co_return std::tuple<gathered_t<Settled, Ts>...>{
            collect_gathered<Settled>(std::get<I>(children), owned[I])...};
}

template <bool Settled, class T>
coro<std::vector<gathered_t<Settled, T>>> gather_vector(std::vector<future<T>> children,
                                                        bool owned) {
    std::vector<gathered_t<Settled, T>> results;
    if (children.empty()) {
        co_return results; // asyncio: an empty gather is done at once
    }
    auto watches = std::make_unique<gather_awaiter::watch[]>(children.size());
    if (owned) {
        for (std::size_t i = 0; i < children.size(); ++i) {
            watches[i].child = children[i].state(); // fresh tasks: no repeats possible
        }
    } else {
        std::vector<future_state_base*> states;
        states.reserve(children.size());
        for (auto& c : children) {
            states.push_back(c.state());
        }
        std::vector<bool> first = first_occurrences(states);
        for (std::size_t i = 0; i < children.size(); ++i) {
            watches[i].child = first[i] ? states[i] : nullptr;
        }
    }
    gather_awaiter awaiter({watches.get(), children.size()}, Settled);
    co_await awaiter;
    results.reserve(children.size());
    for (auto& c : children) {
        results.push_back(collect_gathered<Settled>(c, owned));
    }
    co_return results;
}

template <class R>
concept gather_range = std::ranges::input_range<R> && gather_child<std::ranges::range_value_t<R>>;

template <bool Settled, class... A>
auto gather_args(A&&... args) {
    return gather_tuple<Settled>(
            std::tuple<future<gather_child_t<A>>...>(to_gather_child(std::forward<A>(args))...),
            std::array<bool, sizeof...(A)>{gather_child_traits<std::remove_cvref_t<A>>::owned...},
            std::index_sequence_for<A...>{});
}

template <bool Settled, class R>
auto gather_from_range(R&& range) {
    using child = std::remove_cvref_t<std::ranges::range_value_t<R>>;
    using T = typename gather_child_traits<child>::type;
    std::vector<future<T>> children;
    if constexpr (std::ranges::sized_range<R>) {
        children.reserve(std::ranges::size(range));
    }
    for (auto&& c : range) {
        if constexpr (gather_child_traits<child>::owned) {
            static_assert(!std::is_const_v<std::remove_reference_t<decltype(c)>>,
                          "gather() takes the coroutines out of the range: pass it non-const");
            children.push_back(create_task(std::move(c)));
        } else {
            children.push_back(c);
        }
    }
    return gather_vector<Settled, T>(std::move(children), gather_child_traits<child>::owned);
}

} // namespace detail

/// Runs the awaitables concurrently and returns their results in argument order
/// (asyncio.gather). Each coro<T> is wrapped in a task on the running loop at once; task<T>
/// and future<T> are awaited as they are; the same task or future given twice is awaited
/// once and its result appears twice. A void child gives std::monostate. With no arguments
/// the result is an empty tuple at once.
/// Errors: the first child to fail propagates its exception at once; the other children keep
/// running, and their later exceptions are marked retrieved (never reported). A child that is
/// cancelled makes gather throw cancelled_error. Results a caller may still read (those of
/// tasks and futures passed in) are copied; those of coroutines are moved.
/// Cancellation: cancelling the awaiting task cancels every child not done yet; gather then
/// ends with cancelled_error (at the first child ending cancelled or, if children absorb the
/// cancel, once all are done), as asyncio does.
/// Shard: inside a task of the running loop; every child on that loop.
template <class... A>
    requires(detail::gather_child<A>&&...)
coro<std::tuple<detail::gather_value_t<detail::gather_child_t<A>>...>> gather(A&&... args) {
    return detail::gather_args<false>(std::forward<A>(args)...);
}

/// gather() over a range of coro<T>, task<T> or future<T> (coroutines are moved out of the
/// range), returning a vector in range order; an empty range gives an empty vector at once.
/// Errors, Cancellation, Shard: as the variadic gather().
template <class R>
    requires detail::gather_range<R> coro<std::vector<
            detail::gather_value_t<detail::gather_child_t<std::ranges::range_value_t<R>>>>>
    gather(R&& range) {
        return detail::gather_from_range<false>(std::forward<R>(range));
    }

/// asyncio.gather(..., return_exceptions=True): every child's outcome<T> in argument order: a
/// value, its exception, or a cancelled_error for a cancelled child. Never throws a child's
/// error.
/// Cancellation: cancelling the awaiting task cancels every child not done yet; once all are
/// done, gather_settled throws cancelled_error (asyncio bpo-32684).
/// Shard: inside a task of the running loop; every child on that loop.
template <class... A>
    requires(detail::gather_child<A>&&...)
coro<std::tuple<outcome<detail::gather_child_t<A>>...>> gather_settled(A&&... args) {
    return detail::gather_args<true>(std::forward<A>(args)...);
}

/// gather_settled() over a range of coro<T>, task<T> or future<T>; a vector of outcome<T>.
template <class R>
    requires detail::gather_range<R>
            coro<std::vector<outcome<detail::gather_child_t<std::ranges::range_value_t<R>>>>>
            gather_settled(R&& range) {
        return detail::gather_from_range<true>(std::forward<R>(range));
    }

} // namespace coreloop
