// as_completed(): take tasks as they finish (asyncio.as_completed, in both of its 3.13
// styles).
//
// asyncio                                      coreloop
//   for aw in as_completed(fs, timeout=t):       auto ac = as_completed(fs, t);
//       r = await aw                             for (auto aw : ac) { T r = co_await aw; }
//                                                // or: T r = co_await ac.next_result();
//   async for t in as_completed(fs):             while (auto t = co_await ac.next_done()) {
//       r = await t                                  T r = co_await *t; }
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <initializer_list>
#include <iterator>
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
#include <coreloop/exceptions.hpp>
#include <coreloop/future.hpp>
#include <coreloop/task.hpp>

namespace coreloop {
namespace detail {

/// The task waiting for as_completed's next child.
struct as_completed_waiter {
    task_core* task = nullptr;
    std::coroutine_handle<> resume;
};

/// asyncio's _AsCompletedIterator without the types: the children not done yet (todo), the
/// queue of those done in completion order, the timeout, and the one waiting task.
class as_completed_core : public timer_entry {
public:
    using watch = child_watch<as_completed_core>;

    explicit as_completed_core(std::size_t n)
        : timer_entry(&as_completed_core::time_out)
        , watches_(std::make_unique<watch[]>(n))
        , size_(n)
        , todo_(n)
        , left_(n) {
        done_.reserve(n);
    }
    as_completed_core(const as_completed_core&) = delete;
    as_completed_core& operator=(const as_completed_core&) = delete;
    ~as_completed_core() { stop(); }

    /// Stops watching and removes the timer (the owner calls it before its children go).
    void stop() noexcept {
        if (is_queued()) {
            loop_->timers.remove(*this);
        }
        for (std::size_t i = 0; i < size_; ++i) {
            watches_[i].unwatch();
        }
    }

    watch& watch_at(std::size_t i) noexcept { return watches_[i]; }

    /// Watches every child (those done already are queued at once, in input order) and arms
    /// the timeout.
    void start(loop_core& loop, std::optional<clock::duration> timeout) noexcept {
        loop_ = &loop;
        for (std::uint32_t i = 0; i < size_; ++i) {
            watches_[i].watch(*this, *watches_[i].child, i);
        }
        if (todo_ > 0 && timeout) {
            deadline = loop.now + *timeout;
            loop.timers.add(*this);
        }
    }

    /// Takes one of the awaitables asyncio's iterator hands out; false when none are left.
    bool claim() noexcept {
        if (left_ == 0) {
            return false;
        }
        --left_;
        return true;
    }
    std::size_t left() const noexcept { return left_; }
    bool has_news() const noexcept { return head_ < done_.size() || timed_out_; }

    /// The index of the next child done, or timeout_error once the timeout passed and every
    /// child done before it was taken.
    std::uint32_t take() {
        if (head_ < done_.size()) {
            return done_[head_++];
        }
        throw timeout_error();
    }

    void set_waiter(as_completed_waiter* w) {
        if (waiter_ != nullptr) {
            throw std::runtime_error("as_completed: another task is already waiting on it");
        }
        waiter_ = w;
    }
    /// Unregisters `w`; false if it was already woken (or never registered).
    bool drop_waiter(as_completed_waiter* w) noexcept {
        if (waiter_ != w) {
            return false;
        }
        waiter_ = nullptr;
        return true;
    }

    /// asyncio's _handle_completion.
    void on_child_done(std::uint32_t index) noexcept {
        done_.push_back(index); // capacity reserved for every child: no allocation
        if (--todo_ == 0 && is_queued()) {
            loop_->timers.remove(*this);
        }
        wake_waiter();
    }

private:
    /// asyncio's _handle_timeout: the children not done stay untouched and unwatched.
    static void time_out(timer_entry& t) noexcept {
        auto& self = static_cast<as_completed_core&>(t);
        self.timed_out_ = true;
        self.stop();
        self.wake_waiter();
    }
    void wake_waiter() noexcept {
        if (waiter_ != nullptr) {
            as_completed_waiter* w = std::exchange(waiter_, nullptr);
            w->task->wake(w->resume);
        }
    }
    std::unique_ptr<watch[]> watches_;
    std::vector<std::uint32_t> done_;
    loop_core* loop_ = nullptr;
    as_completed_waiter* waiter_ = nullptr;
    std::size_t size_;
    std::size_t head_ = 0;
    std::size_t todo_;
    std::size_t left_;
    bool timed_out_ = false;
};

/// Waits for as_completed's next child: ready at once if one is queued (or the timeout has
/// passed), else suspends until one is. Cancellation: the wait ends with cancelled_error
/// and nothing is taken from the queue.
class as_completed_next {
public:
    as_completed_next(as_completed_core& core, bool exhausted) noexcept
        : core_(&core)
        , exhausted_(exhausted) {}
    as_completed_next(as_completed_next&& other) noexcept
        : core_(other.core_)
        , exhausted_(other.exhausted_) {}
    as_completed_next& operator=(as_completed_next&&) = delete;
    ~as_completed_next() { core_->drop_waiter(&waiter_); }

    bool await_ready() const noexcept { return exhausted_ || core_->has_news(); }
    void await_suspend(std::coroutine_handle<> h) {
        waiter_.task = current_task_core();
        if (waiter_.task == nullptr) {
            throw std::runtime_error("as_completed can only be awaited inside a task");
        }
        waiter_.resume = h;
        core_->set_waiter(&waiter_);
    }
    bool await_cancel() noexcept {
        if (!core_->drop_waiter(&waiter_)) {
            return false; // already woken: the task throws when it resumes
        }
        cancelled_ = true;
        waiter_.task->wake(waiter_.resume);
        return true;
    }

protected:
    /// The index of the child this awaiter delivers.
    std::uint32_t take() {
        if (cancelled_) {
            throw waiter_.task->state().make_cancelled_error();
        }
        return core_->take();
    }
    bool exhausted() const noexcept { return exhausted_; }

private:
    as_completed_core* core_;
    as_completed_waiter waiter_;
    bool exhausted_;
    bool cancelled_ = false;
};

template <class A>
struct as_completed_traits {
    static constexpr bool valid = false;
};
template <class T>
struct as_completed_traits<coro<T>> {
    static constexpr bool valid = true;
    static constexpr bool owned = true; // made a task here: its result can be moved out
    using handle = task<T>;
};
template <class T>
struct as_completed_traits<task<T>> {
    static constexpr bool valid = true;
    static constexpr bool owned = false;
    using handle = task<T>;
};
template <class T>
struct as_completed_traits<future<T>> {
    static constexpr bool valid = true;
    static constexpr bool owned = false;
    using handle = future<T>;
};

} // namespace detail

/// What as_completed() returns (asyncio's _AsCompletedIterator): hands out the children of
/// type Handle (task<T> or future<T>) in the order they finish. It holds one awaitable per
/// distinct child: each next_done(), next_result() or range step uses one up, as each
/// __next__/__anext__ does in asyncio (a cancelled wait too).
/// Errors: once the timeout given to as_completed() has passed, the children done before it
/// are still handed out, then each further wait throws timeout_error; the children left are
/// untouched.
/// Shard: on the loop that made it; it must not outlive that loop, and only one task may
/// wait on it at a time (std::runtime_error otherwise).
template <class Handle>
class as_completed_iterator {
    struct state;

public:
    using value_type = typename Handle::value_type;

    /// Awaits the next child done and returns its handle; nullopt once every child was
    /// handed out (asyncio's `async for`).
    class next_done_awaiter : public detail::as_completed_next {
    public:
        std::optional<Handle> await_resume() {
            if (exhausted()) {
                return std::nullopt;
            }
            return state_->handles[take()];
        }

    private:
        friend as_completed_iterator;
        next_done_awaiter(typename as_completed_iterator::state& s, bool exhausted) noexcept
            : as_completed_next(s, exhausted)
            , state_(&s) {}
        typename as_completed_iterator::state* state_;
    };

    /// Awaits the next child done and returns its result or throws its exception
    /// (cancelled_error for a cancelled child), as awaiting asyncio's yielded coroutine does.
    class next_result_awaiter : public detail::as_completed_next {
    public:
        value_type await_resume() {
            auto* child = state_->handles[take()].state();
            if constexpr (std::is_void_v<value_type>) {
                child->value();
            } else if constexpr (std::is_copy_constructible_v<value_type>) {
                if (!state_->owned) {
                    return child->value(); // the caller may read the task again
                }
                return std::move(child->value());
            } else {
                return std::move(child->value());
            }
        }

    private:
        friend as_completed_iterator;
        explicit next_result_awaiter(typename as_completed_iterator::state& s) noexcept
            : as_completed_next(s, false)
            , state_(&s) {}
        typename as_completed_iterator::state* state_;
    };

    /// Style 1 as a range: each element is a next_result_awaiter.
    class iterator {
    public:
        using value_type = next_result_awaiter;
        using difference_type = std::ptrdiff_t;
        iterator() noexcept = default;
        explicit iterator(as_completed_iterator& owner) noexcept
            : owner_(&owner) {}
        next_result_awaiter operator*() const { return owner_->next_result(); }
        iterator& operator++() noexcept { return *this; }
        void operator++(int) noexcept {}
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return it.owner_->remaining() == 0;
        }

    private:
        as_completed_iterator* owner_ = nullptr;
    };

    /// Use as_completed() to make one.
    as_completed_iterator(std::vector<Handle> handles,
                          bool owned,
                          std::optional<std::chrono::steady_clock::duration> timeout)
        : core_(std::make_unique<state>(std::move(handles), owned)) {
        for (std::size_t i = 0; i < core_->handles.size(); ++i) {
            core_->watch_at(i).child = core_->handles[i].state();
        }
        core_->start(detail::running_loop_core(), timeout);
    }

    /// Style 2: the next child to finish, or nullopt when all were handed out.
    [[nodiscard]] next_done_awaiter next_done() noexcept {
        return next_done_awaiter(*core_, !core_->claim());
    }
    /// Style 1: the result of the next child to finish.
    /// Errors: std::out_of_range if every child was handed out already.
    [[nodiscard]] next_result_awaiter next_result() {
        if (!core_->claim()) {
            throw std::out_of_range("as_completed: every child was handed out already");
        }
        return next_result_awaiter(*core_);
    }
    /// How many awaitables are left to hand out.
    std::size_t remaining() const noexcept { return core_->left(); }

    iterator begin() noexcept { return iterator(*this); }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    std::unique_ptr<state> core_;
};

template <class Handle>
struct as_completed_iterator<Handle>::state : detail::as_completed_core {
    state(std::vector<Handle> h, bool o)
        : as_completed_core(h.size())
        , handles(std::move(h))
        , owned(o) {}
    state(const state&) = delete;
    state& operator=(const state&) = delete;
    ~state() { stop(); } // before the handles (and maybe the children) go
    std::vector<Handle> handles;
    bool owned;
};

/// Returns an as_completed_iterator over the distinct children in `aws` (coro<T>, made tasks
/// on the running loop at once, task<T> or future<T>), with an optional overall timeout that
/// starts now (asyncio.as_completed). See as_completed_iterator for the two ways to use it.
/// Errors: std::runtime_error if no loop runs on this thread.
/// Cancellation: cancelling a task waiting on it cancels only that wait.
/// Shard: on the running loop; every child on that loop.
template <std::ranges::input_range R>
auto as_completed(R&& aws, std::optional<std::chrono::steady_clock::duration> timeout = {}) {
    using traits = detail::as_completed_traits<std::remove_cvref_t<std::ranges::range_value_t<R>>>;
    static_assert(traits::valid, "as_completed() takes a range of coro<T>, task<T> or future<T>");
    using handle_t = typename traits::handle;
    std::vector<handle_t> handles;
    if constexpr (std::ranges::sized_range<R>) {
        handles.reserve(std::ranges::size(aws));
    }
    for (auto&& a : aws) {
        if constexpr (traits::owned) {
            handles.push_back(create_task(std::move(a)));
        } else {
            handles.push_back(a);
        }
    }
    if constexpr (!traits::owned) {
        std::vector<detail::future_state_base*> states;
        states.reserve(handles.size());
        for (auto& h : handles) {
            states.push_back(h.state());
        }
        std::vector<bool> first = detail::first_occurrences(states);
        std::vector<handle_t> distinct;
        distinct.reserve(handles.size());
        for (std::size_t i = 0; i < handles.size(); ++i) {
            if (first[i]) {
                distinct.push_back(std::move(handles[i]));
            }
        }
        handles = std::move(distinct);
    }
    return as_completed_iterator<handle_t>(std::move(handles), traits::owned, timeout);
}

/// as_completed() over a braced list of tasks or futures.
template <class H>
auto as_completed(std::initializer_list<H> aws,
                  std::optional<std::chrono::steady_clock::duration> timeout = {}) {
    return as_completed(std::span<const H>(aws.begin(), aws.size()), timeout);
}

} // namespace coreloop
