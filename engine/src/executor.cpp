// thread_pool_executor's workers, the context snapshot to_thread carries, and the loop's
// default executor (run_in_executor(nullptr, ...), shutdown_default_executor).
#include <coreloop/executor.hpp>

#include <algorithm>
#include <stdexcept>

#include <coreloop/log.hpp>
#include <coreloop/wait_for.hpp>

namespace coreloop {

std::size_t thread_pool_executor::default_max_workers() noexcept {
    std::size_t cpus = std::max(1U, std::thread::hardware_concurrency());
    return std::min<std::size_t>(32, cpus + 4);
}

thread_pool_executor::thread_pool_executor(std::size_t max_workers)
    : max_workers_(std::max<std::size_t>(1, max_workers)) {}

thread_pool_executor::~thread_pool_executor() {
    shutdown(true);
}

void thread_pool_executor::post(std::unique_ptr<detail::executor_job> job) {
    std::unique_lock lock(mutex_);
    if (shutdown_) {
        throw std::runtime_error("cannot schedule new futures after shutdown");
    }
    jobs_.push_back(std::move(job));
    // A new thread only when the waiting jobs outnumber the idle threads (as
    // ThreadPoolExecutor._adjust_thread_count does with its idle semaphore).
    if (jobs_.size() > idle_ && threads_.size() < max_workers_) {
        try {
            threads_.emplace_back([this] { work(); });
        } catch (...) {
            if (threads_.empty()) {
                jobs_.pop_back();
                throw;
            }
        }
    }
    lock.unlock();
    wake_.notify_one();
}

void thread_pool_executor::work() noexcept {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!jobs_.empty()) {
            std::unique_ptr<detail::executor_job> job = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            job->run();
            job.reset(); // what the job captured goes before the next wait
            lock.lock();
            continue;
        }
        if (shutdown_) {
            return;
        }
        ++idle_;
        wake_.wait(lock);
        --idle_;
    }
}

void thread_pool_executor::shutdown(bool wait) {
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        shutdown_ = true;
        if (wait) {
            threads.swap(threads_);
        }
    }
    wake_.notify_all();
    for (auto& t : threads) {
        t.join();
    }
}

namespace detail {

foreign_context foreign_context::capture() {
    foreign_context snapshot;
    const context_state* current = current_context_slot();
    if (current != nullptr && current->vars() != nullptr) {
        snapshot.values_ = current->vars()->entries();
    }
    return snapshot;
}

context_state* foreign_context::make_state() const {
    if (values_.empty()) {
        return nullptr;
    }
    auto* state = new context_state();
    for (const auto& [key, value] : values_) {
        state->put(key, value);
    }
    return state;
}

} // namespace detail

// --- the loop's default executor ---------------------------------------------------------

thread_pool_executor& event_loop::default_executor() {
    if (executor_shutdown_called_) {
        throw std::runtime_error("Executor shutdown has been called");
    }
    if (!default_executor_) {
        default_executor_ = std::make_unique<thread_pool_executor>();
    }
    return *default_executor_;
}

bool event_loop::has_default_executor() const noexcept {
    return default_executor_ != nullptr && !executor_shutdown_called_;
}

void event_loop::set_default_executor(std::unique_ptr<thread_pool_executor> executor) {
    core_.check_thread("set_default_executor");
    std::swap(default_executor_, executor);
    // The old executor is shut down and joined by its destructor, here.
}

coro<void> event_loop::shutdown_default_executor() {
    return shutdown_default_executor_for(std::nullopt);
}

coro<void> event_loop::shutdown_default_executor(std::chrono::nanoseconds timeout) {
    return shutdown_default_executor_for(timeout);
}

coro<void>
event_loop::shutdown_default_executor_for(std::optional<std::chrono::nanoseconds> timeout) {
    executor_shutdown_called_ = true;
    if (!default_executor_ || executor_joiner_.joinable()) {
        co_return;
    }
    future<void> joined = create_future<void>();
    detail::future_state<void>* state = joined.state();
    state->add_ref(); // released by the executor_completion, on this thread
    auto* done = new detail::executor_completion<void>(state);
    executor_joiner_ = std::thread([this, done, pool = default_executor_.get()] {
        pool->shutdown(true);
        // Before close() refuses posts it joins this thread, so the post cannot fail.
        if (!try_post(*done)) {
            delete done;
        }
    });
    try {
        co_await wait_for(joined, timeout);
    } catch (const timeout_error&) {
        log(log_level::warning, "The executor did not finish joining its threads within the "
                                "timeout; close() will wait for them");
        co_return;
    }
    executor_joiner_.join();
    default_executor_.reset();
}

void event_loop::join_executors() noexcept {
    if (executor_joiner_.joinable()) {
        executor_joiner_.join();
    }
    default_executor_.reset(); // shutdown(true): queued jobs run, every thread is joined
}

} // namespace coreloop
