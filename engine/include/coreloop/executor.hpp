// thread_pool_executor (concurrent.futures.ThreadPoolExecutor) and the loop's bridges to it:
// event_loop::run_in_executor and to_thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <coreloop/concurrent_future.hpp>
#include <coreloop/context.hpp>
#include <coreloop/event_loop.hpp>
#include <coreloop/future.hpp>

namespace coreloop {

namespace detail {

/// One unit of work for a pool thread.
struct executor_job {
    virtual ~executor_job() = default;
    virtual void run() noexcept = 0;
};

template <class F>
struct executor_job_of final : executor_job {
    explicit executor_job_of(F fn)
        : fn_(std::move(fn)) {}
    void run() noexcept override { fn_(); }
    F fn_;
};

template <class F>
std::unique_ptr<executor_job> make_executor_job(F fn) {
    return std::make_unique<executor_job_of<F>>(std::move(fn));
}

} // namespace detail

/// A fixed-size pool of threads running submitted functions in FIFO order
/// (concurrent.futures.ThreadPoolExecutor). Threads start on demand, up to max_workers.
/// Errors: submitting after shutdown() throws std::runtime_error.
/// Cancellation: a job that started always runs to its end.
/// Shard: any thread; shutdown(true) and the destructor must not run on a pool thread.
class thread_pool_executor {
public:
    /// asyncio's default: min(32, number of CPUs + 4).
    static std::size_t default_max_workers() noexcept;

    explicit thread_pool_executor(std::size_t max_workers = default_max_workers());
    thread_pool_executor(const thread_pool_executor&) = delete;
    thread_pool_executor& operator=(const thread_pool_executor&) = delete;
    /// shutdown(true).
    ~thread_pool_executor();

    /// Runs fn(args...) on a pool thread; the future gets its result or exception there.
    template <class F, class... Args>
    auto submit(F&& fn, Args&&... args)
            -> concurrent_future<std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&...>>;

    /// Refuses new work; queued jobs still run. With `wait`, returns once every pool thread
    /// has finished and exited. Idempotent.
    void shutdown(bool wait = true);

    std::size_t max_workers() const noexcept { return max_workers_; }

    /// Queues a job (what submit and run_in_executor build on).
    /// Errors: std::runtime_error after shutdown(); std::system_error if no thread can start.
    void post(std::unique_ptr<detail::executor_job> job);

private:
    void work() noexcept;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::unique_ptr<detail::executor_job>> jobs_;
    std::vector<std::thread> threads_;
    std::size_t idle_ = 0;
    std::size_t max_workers_;
    bool shutdown_ = false;
};

template <class F, class... Args>
auto thread_pool_executor::submit(F&& fn, Args&&... args)
        -> concurrent_future<std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&...>> {
    using R = std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&...>;
    auto state = std::make_shared<detail::concurrent_state<R>>();
    post(detail::make_executor_job(
            [state, f = std::forward<F>(fn), ... a = std::forward<Args>(args)]() mutable {
                try {
                    if constexpr (std::is_void_v<R>) {
                        std::invoke(f, a...);
                        state->set_value();
                    } else {
                        state->set_value(std::invoke(f, a...));
                    }
                } catch (...) {
                    state->set_exception(std::current_exception());
                }
            }));
    return concurrent_future<R>(std::move(state));
}

namespace detail {

/// Carries a pool job's outcome back to the loop and completes the future there. Releases
/// its reference to the future's state on the loop's thread, whether it runs or is dropped.
template <class R>
class executor_completion final : public inbox_node {
public:
    explicit executor_completion(future_state<R>* state) noexcept
        : inbox_node(&executor_completion::run_it, &executor_completion::drop)
        , state_(state) {}

    std::optional<std::conditional_t<std::is_void_v<R>, std::monostate, R>> value;
    std::exception_ptr error;

private:
    static void run_it(runnable& r) noexcept {
        auto* self = static_cast<executor_completion*>(&r);
        // A cancelled future (its awaiting task was cancelled) drops the outcome.
        if (!self->state_->done()) {
            if (self->error != nullptr) {
                self->state_->set_exception(std::move(self->error));
            } else if constexpr (std::is_void_v<R>) {
                self->state_->emplace_result();
            } else {
                self->state_->emplace_result(std::move(*self->value));
            }
        }
        drop(r);
    }
    static void drop(runnable& r) noexcept {
        auto* self = static_cast<executor_completion*>(&r);
        self->state_->release();
        delete self;
    }

    future_state<R>* state_;
};

/// A snapshot of the loop thread's context values that a pool thread can use: shared_ptr
/// values (atomic counts) copied on the loop's thread into a plain vector; the pool thread
/// builds its own context from them (contexts use plain counts and per-thread pools).
class foreign_context {
public:
    /// Copies the current context's values (on the loop's thread).
    static foreign_context capture();

    /// Calls fn() with a fresh context holding the captured values current (pool thread).
    template <class F>
    decltype(auto) run(F& fn) const {
        context_state* state = make_state();
        struct release_state {
            context_state* s;
            ~release_state() {
                if (s != nullptr) {
                    s->release();
                }
            }
        } guard{state};
        context_scope scope(&guard.s);
        return fn();
    }

private:
    context_state* make_state() const;

    std::vector<std::pair<const void*, context_vars::value_ptr>> values_;
};

template <class R, class Call>
std::unique_ptr<executor_job> make_loop_job(event_loop& loop,
                                            future_state<R>* state,
                                            Call call,
                                            std::optional<foreign_context> context) {
    return make_executor_job([&loop, state, call = std::move(call),
                              context = std::move(context)]() mutable {
        auto* done = new executor_completion<R>(state);
        auto invoke = [&]() -> decltype(auto) { return context ? context->run(call) : call(); };
        try {
            if constexpr (std::is_void_v<R>) {
                invoke();
            } else {
                done->value.emplace(invoke());
            }
        } catch (...) {
            done->error = std::current_exception();
        }
        if (!loop.try_post(*done)) {
            // The loop closed before the job ended: its future's state can only be touched
            // on the loop's thread, so the reference is left behind (documented leak).
            delete done;
        }
    });
}

template <class R, class F, class... Args>
future<R> run_in_executor_with(event_loop& loop,
                               thread_pool_executor& executor,
                               std::optional<foreign_context> context,
                               F&& fn,
                               Args&&... args) {
    if (loop.is_closed()) {
        throw std::runtime_error("Event loop is closed");
    }
    future<R> result = loop.create_future<R>();
    future_state<R>* state = result.state();
    state->add_ref(); // released by the executor_completion, on the loop's thread
    auto call = [f = std::forward<F>(fn), ... a = std::forward<Args>(args)]() mutable -> R {
        return std::invoke(f, a...);
    };
    try {
        executor.post(make_loop_job<R>(loop, state, std::move(call), std::move(context)));
    } catch (...) {
        state->release();
        throw;
    }
    return result;
}

} // namespace detail

template <class F, class... Args>
future<detail::executor_result_t<F, Args...>>
event_loop::run_in_executor(thread_pool_executor* executor, F&& fn, Args&&... args) {
    core_.check_thread("run_in_executor");
    thread_pool_executor& target = executor != nullptr ? *executor : default_executor();
    return detail::run_in_executor_with<detail::executor_result_t<F, Args...>>(
            *this, target, std::nullopt, std::forward<F>(fn), std::forward<Args>(args)...);
}

/// Runs fn(args...) on the running loop's default executor with a copy of the current
/// context's values (asyncio.to_thread); await the future for the result.
/// Errors: std::runtime_error if no loop runs on this thread or its default executor was
/// shut down; fn's exception when awaited.
/// Cancellation: cancelling the awaiting task cancels the future only; fn runs to its end.
/// Values fn sets in its context stay on the pool thread.
/// Shard: inside the loop's thread.
template <class F, class... Args>
future<detail::executor_result_t<F, Args...>> to_thread(F&& fn, Args&&... args) {
    event_loop& loop = get_running_loop();
    return detail::run_in_executor_with<detail::executor_result_t<F, Args...>>(
            loop, loop.default_executor(), detail::foreign_context::capture(), std::forward<F>(fn),
            std::forward<Args>(args)...);
}

} // namespace coreloop
