// wait(): wait for some or all of a set of tasks and futures, with an optional timeout, and
// get back which are done and which are still pending (asyncio.wait).
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include <coreloop/coro.hpp>
#include <coreloop/detail/child_watch.hpp>
#include <coreloop/detail/timer_queue.hpp>
#include <coreloop/future.hpp>
#include <coreloop/task.hpp>

namespace coreloop {

/// When wait() returns (asyncio's FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED).
enum class return_when : std::uint8_t {
    /// As soon as any child is done (or the timeout passes).
    first_completed,
    /// As soon as any child ends with an exception (a cancelled child does not count), or
    /// when all are done.
    first_exception,
    /// When all children are done (or the timeout passes).
    all_completed,
};

/// Options of wait(): asyncio's `timeout=` (nullopt: none) and `return_when=`.
struct wait_options {
    std::optional<std::chrono::steady_clock::duration> timeout = std::nullopt;
    coreloop::return_when return_when = coreloop::return_when::all_completed;
};

/// What wait() returns: the original handles, `done` in the order the children finished
/// (those done before the call first, in input order), `pending` in input order. asyncio
/// returns two sets; a handle given twice appears once, as in a set.
template <class Handle>
struct wait_result {
    std::vector<Handle> done;
    std::vector<Handle> pending;
};

namespace detail {

/// asyncio's _wait as an awaiter in wait()'s frame: a watch on each child, and a timer.
class wait_awaiter : public timer_entry {
public:
    using watch = child_watch<wait_awaiter>;

    wait_awaiter(std::span<watch> watches,
                 const wait_options& options,
                 std::vector<std::uint32_t>& done_order) noexcept
        : timer_entry(&wait_awaiter::time_out)
        , watches_(watches)
        , done_order_(done_order)
        , options_(options)
        , counter_(watches.size()) {}
    wait_awaiter(const wait_awaiter&) = delete;
    wait_awaiter& operator=(const wait_awaiter&) = delete;
    ~wait_awaiter() { stop(); }

    bool await_ready() const noexcept { return false; } // asyncio always suspends once
    void await_suspend(std::coroutine_handle<> h) {
        task_ = current_task_core();
        if (task_ == nullptr) {
            throw std::runtime_error("wait() can only be awaited inside a task");
        }
        waiting_ = h;
        for (std::uint32_t i = 0; i < watches_.size(); ++i) {
            watches_[i].watch(*this, *watches_[i].child, i);
        }
        if (!woken_ && options_.timeout) {
            loop_core& loop = *task_->loop();
            deadline = loop.now + *options_.timeout; // <= now: fires next iteration
            loop.timers.add(*this);
        }
    }
    /// Cancelling the waiting task ends the wait only; the children are left alone.
    bool await_cancel() noexcept {
        if (woken_) {
            return false; // the outcome is known: the task throws when it resumes
        }
        stop();
        cancelled_ = true;
        wake();
        return true;
    }
    void await_resume() const {
        if (cancelled_) {
            throw task_->state().make_cancelled_error();
        }
    }

    /// asyncio's _on_completion for child `index`.
    void on_child_done(std::uint32_t index) noexcept {
        done_order_.push_back(index); // capacity reserved for every child: no allocation
        --counter_;
        const future_state_base& child = *watches_[index].child;
        bool release = counter_ == 0 || options_.return_when == return_when::first_completed;
        if (!release && options_.return_when == return_when::first_exception &&
            child.status() == future_status::exception) {
            watches_[index].child->mark_retrieved(); // asyncio looked at f.exception()
            release = true;
        }
        if (release && !woken_) {
            remove_timer();
            wake();
        }
    }

private:
    static void time_out(timer_entry& t) noexcept { static_cast<wait_awaiter&>(t).wake(); }
    void wake() noexcept {
        woken_ = true;
        task_->wake(waiting_);
    }
    void remove_timer() noexcept {
        if (is_queued()) {
            task_->loop()->timers.remove(*this);
        }
    }
    void stop() noexcept {
        remove_timer();
        for (auto& w : watches_) {
            w.unwatch();
        }
    }

    std::span<watch> watches_;
    std::vector<std::uint32_t>& done_order_;
    wait_options options_;
    task_core* task_ = nullptr;
    std::coroutine_handle<> waiting_;
    std::size_t counter_;
    bool woken_ = false;
    bool cancelled_ = false;
};

template <class H>
struct wait_handle_traits {
    static constexpr bool valid = false;
};
template <class T>
struct wait_handle_traits<task<T>> {
    static constexpr bool valid = true;
    static future_state_base& state(const task<T>& t) noexcept { return *t.state(); }
};
template <class T>
struct wait_handle_traits<future<T>> {
    static constexpr bool valid = true;
    static future_state_base& state(const future<T>& f) noexcept { return *f.state(); }
};
template <>
struct wait_handle_traits<any_task> {
    static constexpr bool valid = true;
    static future_state_base& state(const any_task& t) noexcept { return t.core()->state(); }
};

template <class H>
coro<wait_result<H>> wait_impl(std::vector<H> handles, wait_options options) {
    if (handles.empty()) {
        throw std::invalid_argument("Set of Tasks/Futures is empty.");
    }
    {
        // asyncio makes a set of the handles: keep each state once, first occurrence first.
        std::vector<future_state_base*> states;
        states.reserve(handles.size());
        for (const H& h : handles) {
            states.push_back(&wait_handle_traits<H>::state(h));
        }
        std::vector<bool> first = first_occurrences(states);
        std::size_t kept = 0;
        for (std::size_t i = 0; i < handles.size(); ++i) {
            if (first[i]) {
                if (kept != i) {
                    handles[kept] = std::move(handles[i]);
                }
                ++kept;
            }
        }
        handles.erase(handles.begin() + static_cast<std::ptrdiff_t>(kept), handles.end());
    }
    auto watches = std::make_unique<wait_awaiter::watch[]>(handles.size());
    for (std::size_t i = 0; i < handles.size(); ++i) {
        watches[i].child = &wait_handle_traits<H>::state(handles[i]);
    }
    std::vector<std::uint32_t> done_order;
    done_order.reserve(handles.size());
    wait_awaiter awaiter({watches.get(), handles.size()}, options, done_order);
    co_await awaiter;
    wait_result<H> result;
    result.done.reserve(done_order.size());
    for (std::uint32_t i : done_order) {
        result.done.push_back(handles[i]);
    }
    result.pending.reserve(handles.size() - done_order.size());
    for (std::size_t i = 0; i < handles.size(); ++i) {
        if (!watches[i].child->done()) {
            result.pending.push_back(std::move(handles[i]));
        }
    }
    co_return result;
}

} // namespace detail

/// Waits until the tasks or futures in `tasks` (task<T>, future<T> or any_task) meet
/// `options.return_when`, or until `options.timeout` passes, and returns {done, pending} with
/// the original handles (asyncio.wait). Coroutines are refused at compile time: wrap each in
/// create_task() first.
/// Errors: std::invalid_argument if `tasks` is empty (when awaited). A child's exception is
/// never thrown here; under first_exception the exceptions seen are marked retrieved.
/// Cancellation: a timeout cancels nothing; cancelling the waiting task throws cancelled_error
/// here and leaves every child running.
/// Shard: inside a task of the running loop; every child on that loop.
template <std::ranges::input_range R>
auto wait(R&& tasks, wait_options options = {}) {
    using handle_t = std::remove_cvref_t<std::ranges::range_value_t<R>>;
    static_assert(!detail::is_coro<handle_t>::value,
                  "wait() takes tasks or futures, not coroutines: wrap each in create_task() "
                  "(asyncio.wait refuses coroutines too)");
    static_assert(detail::wait_handle_traits<handle_t>::valid,
                  "wait() takes a range of task<T>, future<T> or any_task");
    std::vector<handle_t> handles;
    if constexpr (std::ranges::sized_range<R>) {
        handles.reserve(std::ranges::size(tasks));
    }
    for (auto&& h : tasks) {
        handles.push_back(h);
    }
    return detail::wait_impl(std::move(handles), options);
}

/// wait() over a braced list: `auto w = wait({a, b}); auto [done, pending] = co_await
/// std::move(w);`. GCC 12 rejects a braced list inside a co_await expression ("array used as
/// initializer"), so bind the call first there (clang and later GCCs take it inline).
template <class H>
auto wait(std::initializer_list<H> tasks, wait_options options = {}) {
    return wait(std::span<const H>(tasks.begin(), tasks.size()), options);
}

} // namespace coreloop
