// concurrent_future<T>: a thread-safe result slot that any thread can block on
// (concurrent.futures.Future), and run_coroutine_threadsafe, which runs a coroutine on a loop
// from another thread and hands back such a future.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <coreloop/coro.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/log.hpp>

namespace coreloop {

template <class T>
class concurrent_future;

namespace detail {

/// The state concurrent_future handles share (through std::shared_ptr: an atomic count, so
/// any thread may hold or drop a handle). A mutex guards everything; waiters use a condvar.
template <class T>
class concurrent_state : public std::enable_shared_from_this<concurrent_state<T>> {
public:
    using stored_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
    using callback_type = std::function<void(concurrent_future<T>&)>;

    concurrent_state() = default;
    concurrent_state(const concurrent_state&) = delete;
    concurrent_state& operator=(const concurrent_state&) = delete;
    virtual ~concurrent_state() = default;

    /// Each returns false, doing nothing, if the state is done already.
    template <class... Args>
    bool set_value(Args&&... args) {
        return finish([&] { value_.emplace(std::forward<Args>(args)...); });
    }
    bool set_exception(std::exception_ptr e) {
        return finish([&] { exception_ = std::move(e); });
    }
    bool set_cancelled() {
        return finish([&] { cancelled_ = true; });
    }

    /// Called (on the cancelling thread, no lock held) after cancel() ended the state.
    virtual void on_cancel() noexcept {}

    bool done() const {
        std::lock_guard lock(mutex_);
        return done_;
    }
    bool cancelled() const {
        std::lock_guard lock(mutex_);
        return cancelled_;
    }

    /// Waits until done or until `timeout` passed; throws timeout_error in the latter case,
    /// cancelled_error if cancelled. Returns the exception (nullptr on success).
    std::exception_ptr wait(std::optional<std::chrono::nanoseconds> timeout) {
        std::unique_lock lock(mutex_);
        if (timeout) {
            if (!done_cv_.wait_for(lock, *timeout, [this] { return done_; })) {
                throw timeout_error("concurrent_future not done within the timeout");
            }
        } else {
            done_cv_.wait(lock, [this] { return done_; });
        }
        if (cancelled_) {
            throw cancelled_error();
        }
        return exception_;
    }
    /// The value; only after wait() returned nullptr.
    stored_type& value() {
        std::lock_guard lock(mutex_);
        return *value_;
    }

    /// Adds fn, or runs it now (on this thread) if the state is done.
    void add_callback(callback_type fn) {
        {
            std::lock_guard lock(mutex_);
            if (!done_) {
                callbacks_.push_back(std::move(fn));
                return;
            }
        }
        run_callback(fn);
    }

private:
    template <class Set>
    bool finish(Set&& set) {
        std::vector<callback_type> callbacks;
        {
            std::lock_guard lock(mutex_);
            if (done_) {
                return false;
            }
            set();
            done_ = true;
            callbacks.swap(callbacks_);
        }
        done_cv_.notify_all();
        for (auto& fn : callbacks) {
            run_callback(fn);
        }
        return true;
    }
    void run_callback(callback_type& fn) noexcept;

    mutable std::mutex mutex_;
    std::condition_variable done_cv_;
    bool done_ = false;
    bool cancelled_ = false;
    std::optional<stored_type> value_;
    std::exception_ptr exception_;
    std::vector<callback_type> callbacks_;
};

} // namespace detail

/// A result that another thread produces (concurrent.futures.Future); copies share it.
/// Errors: result() and exception() throw timeout_error when the timeout passes first and
/// cancelled_error if the future was cancelled; result() also rethrows the stored exception.
/// Cancellation: cancel() ends a pending future as cancelled at once and asks its producer
/// to stop (run_coroutine_threadsafe: cancels the task on its loop).
/// Shard: any thread. Blocking calls on a loop's thread stall that loop.
template <class T = void>
class concurrent_future {
public:
    using value_type = T;

    concurrent_future() noexcept = default;
    explicit concurrent_future(std::shared_ptr<detail::concurrent_state<T>> state) noexcept
        : state_(std::move(state)) {}

    bool valid() const noexcept { return state_ != nullptr; }
    bool done() const { return state_->done(); }
    bool cancelled() const { return state_->cancelled(); }

    /// Waits (at most `timeout`; nullopt: without limit) and returns a copy of the value (the
    /// value itself, moved out, for a move-only T: then call it once).
    T result(std::optional<std::chrono::nanoseconds> timeout = std::nullopt) {
        if (std::exception_ptr e = state_->wait(timeout)) {
            std::rethrow_exception(e);
        }
        if constexpr (std::is_void_v<T>) {
            return;
        } else if constexpr (std::is_copy_constructible_v<T>) {
            return state_->value();
        } else {
            return std::move(state_->value());
        }
    }
    /// Waits as result() does and returns the exception the future ended with (nullptr if
    /// it has a value).
    std::exception_ptr exception(std::optional<std::chrono::nanoseconds> timeout = std::nullopt) {
        return state_->wait(timeout);
    }

    /// Ends a pending future as cancelled and asks its producer to stop; false if done.
    bool cancel() {
        if (!state_->set_cancelled()) {
            return false;
        }
        state_->on_cancel();
        return true;
    }

    /// Calls fn(concurrent_future&) (or fn()) once the future is done, on the thread that
    /// completes it, or at once on this thread if it is done already. An exception fn throws
    /// is logged and ignored.
    template <class F>
    void add_done_callback(F&& fn) {
        state_->add_callback([f = std::forward<F>(fn)](concurrent_future& fut) mutable {
            if constexpr (std::is_invocable_v<decltype(f)&, concurrent_future&>) {
                f(fut);
            } else {
                f();
            }
        });
    }

    const std::shared_ptr<detail::concurrent_state<T>>& state() const noexcept { return state_; }

private:
    std::shared_ptr<detail::concurrent_state<T>> state_;
};

template <class T>
void detail::concurrent_state<T>::run_callback(callback_type& fn) noexcept {
    try {
        concurrent_future<T> fut(this->shared_from_this());
        fn(fut);
    } catch (...) {
        log(log_level::error, "exception in a concurrent_future done callback ignored");
    }
}

} // namespace coreloop
