// event_loop: one shard's asyncio event loop — callbacks, timers, tasks, socket operations.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include <coreloop/backend.hpp>
#include <coreloop/coro.hpp>
#include <coreloop/detail/inbox.hpp>
#include <coreloop/detail/io_awaiter.hpp>
#include <coreloop/detail/loop_core.hpp>
#include <coreloop/future.hpp>
#include <coreloop/handle.hpp>
#include <coreloop/socket.hpp>
#include <coreloop/task.hpp>

namespace coreloop {

class thread_pool_executor;

namespace detail {
class fd_watchers;

/// What run_in_executor(executor, fn, args...) completes its future with.
template <class F, class... Args>
using executor_result_t = std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&...>;
} // namespace detail

/// How a loop's create_task starts tasks (asyncio's task factory, reduced to what C++ needs).
struct task_factory {
    bool eager_start = false;
    friend bool operator==(task_factory, task_factory) = default;
};
/// Tasks start at once, inside create_task (asyncio.eager_task_factory).
inline constexpr task_factory eager_task_factory{true};
/// Tasks start on the next iteration (asyncio's default).
inline constexpr task_factory lazy_task_factory{false};

/// What the exception handler is told (asyncio's context dict).
struct exception_context {
    std::string message = {};
    std::exception_ptr exception = {};
    std::optional<any_task> task = {};   ///< the task concerned, if any
    std::optional<handle> callback = {}; ///< asyncio's 'handle': the callback that raised
};

/// How a loop is made.
struct loop_options {
    backend io_backend = backend::auto_;
    /// Debug mode (asyncio's debug): slow-callback warnings, foreign-thread checks.
    /// Also switched on by the environment variable CORELOOP_DEBUG=1.
    bool debug = false;
    /// For tests (Tokio's time::pause): the clock stands still while the loop has work and
    /// jumps to the next timer when it would otherwise wait.
    bool virtual_time = false;
    /// Before blocking in the kernel, keep polling for I/O, posted callbacks and cross-shard
    /// messages for up to this long (Seastar's idle-poll-time). Trades CPU for latency: a
    /// message that arrives meanwhile costs no wake-up. 0 (the default): block at once.
    std::chrono::nanoseconds idle_poll = {};
    /// The receive buffers the loop's connections share (multishot receives fill them, so an
    /// idle connection holds none): how many, a power of two up to 32768, and their size.
    /// Memory is reserved on first use; pages are touched as buffers are used.
    std::uint32_t recv_buffer_count = 1024;
    std::uint32_t recv_buffer_size = 8192;
};

/// One shard's event loop (asyncio's BaseEventLoop), with io_uring or epoll underneath.
/// Not thread-safe: every method is called on the loop's thread (debug mode checks it).
class event_loop {
public:
    using clock = detail::clock;
    using exception_handler = std::function<void(event_loop&, const exception_context&)>;

    explicit event_loop(loop_options options = {});
    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;
    /// Closes the loop if it is not closed yet.
    ~event_loop();

    // --- scheduling -------------------------------------------------------------------

    /// Schedules fn(args...) to run on the next iteration, after callbacks already scheduled.
    template <class F, class... Args>
    handle call_soon(F&& fn, Args&&... args);
    /// Schedules fn(args...) to run `delay` from now. Equal deadlines run in call order.
    template <class Rep, class Period, class F, class... Args>
    timer_handle call_later(std::chrono::duration<Rep, Period> delay, F&& fn, Args&&... args) {
        return call_at(time() + std::chrono::duration_cast<clock::duration>(delay),
                       std::forward<F>(fn), std::forward<Args>(args)...);
    }
    /// Schedules fn(args...) to run at `when` on the loop's clock (see time()).
    template <class F, class... Args>
    timer_handle call_at(clock::time_point when, F&& fn, Args&&... args);
    /// The loop's clock (CLOCK_MONOTONIC). While the loop runs it is read once per iteration
    /// (a timer set by a callback counts from the start of its iteration); outside a run it
    /// is read at each call.
    clock::time_point time() noexcept {
        if (!running_) {
            core_.update_time();
        }
        return core_.now;
    }

    /// Schedules fn(args...) on this loop from any thread, the loop's own included, and wakes
    /// the loop if it is blocked. fn and args are moved into a heap node made on the calling
    /// thread and destroyed on the loop's; they must not hold loop objects (tasks, futures,
    /// contexts) made on another thread. Posted callbacks join the ready queue in the order
    /// their posts took effect (one thread's posts keep their order) when the loop drains its
    /// inbox, just before each iteration's batch: a callback posted before that drain runs in
    /// that batch, after the callbacks already ready; a later one in the next iteration's.
    /// Unlike asyncio, no handle is returned (a handle could only be used on the loop's
    /// thread); the callback runs in the loop thread's current context.
    /// Errors: std::runtime_error if the loop is closed (asyncio's RuntimeError); an
    /// exception fn throws goes to the exception handler.
    /// Cancellation: callbacks still posted when the loop closes are destroyed, not run.
    /// Shard: any thread; the loop object must outlive the call.
    template <class F, class... Args>
    void call_soon_threadsafe(F&& fn, Args&&... args);

    /// Runs fn(args...) on `executor` (nullptr: the loop's default thread_pool_executor, made
    /// on first use) and returns a future completed on this loop, through its inbox, with
    /// fn's result or exception (moved across threads). Defined in <coreloop/executor.hpp>.
    /// Errors: std::runtime_error if the loop is closed or the executor is shut down (for
    /// nullptr: if shutdown_default_executor() was called). A job of another executor that
    /// ends after the loop closed cannot complete its future (its state is left behind).
    /// Cancellation: cancelling the future (or a task awaiting it) does not stop fn, which
    /// runs to its end on its thread; its outcome is then dropped (asyncio semantics).
    /// Shard: on the loop's thread.
    template <class F, class... Args>
    future<detail::executor_result_t<F, Args...>>
    run_in_executor(thread_pool_executor* executor, F&& fn, Args&&... args);
    /// Replaces the executor run_in_executor(nullptr, ...) and to_thread use. The previous
    /// default executor, if any, is shut down and joined.
    /// Shard: on the loop's thread.
    void set_default_executor(std::unique_ptr<thread_pool_executor> executor);
    /// Shuts the default executor down and waits, off the loop's thread, until its threads
    /// have finished their jobs and exited (asyncio's shutdown_default_executor). Later
    /// run_in_executor(nullptr, ...) calls throw std::runtime_error.
    /// With a timeout: once it expires a warning is logged and the wait ends; the threads
    /// are then joined by close() (C++ cannot abandon a running thread).
    /// Errors: none of its own. Cancellation: cancelling the wait leaves the shutdown going;
    /// close() joins it. Shard: inside a task on this loop.
    coro<void> shutdown_default_executor();
    coro<void> shutdown_default_executor(std::chrono::nanoseconds timeout);
    /// The executor run_in_executor(nullptr, ...) uses, made now if needed.
    /// Errors: std::runtime_error after shutdown_default_executor(). Shard: the loop's thread.
    thread_pool_executor& default_executor();
    /// Whether a default executor exists and has not been shut down.
    bool has_default_executor() const noexcept;

    /// Internal: posts a node (see call_soon_threadsafe). Errors: std::runtime_error if
    /// closed (node is then destroyed). Shard: any thread.
    void post(detail::inbox_node& node);
    /// Internal: as post(), but returns false if closed, leaving node to the caller.
    bool try_post(detail::inbox_node& node) noexcept { return inbox_.push(node); }

    /// Wraps c in a task on this loop (see coreloop::create_task).
    template <class T>
    task<T> create_task(coro<T> c, task_options options) {
        return detail::start_task(core_, std::move(c), std::move(options));
    }
    template <class T>
    task<T> create_task(coro<T> c) {
        return create_task(std::move(c), task_options{});
    }
    template <class T, class Name>
        requires std::is_convertible_v<Name, std::string> task<T> create_task(coro<T> c,
                                                                              Name&& name) {
            return create_task(std::move(c), task_options{.name = std::forward<Name>(name)});
        }
    /// Chooses how create_task starts tasks that do not say: eager_task_factory or
    /// lazy_task_factory (the default). asyncio's factories may also make custom task
    /// classes; coreloop's only choose the start.
    void set_task_factory(task_factory factory) noexcept {
        core_.eager_tasks = factory.eager_start;
    }
    task_factory get_task_factory() const noexcept { return {core_.eager_tasks}; }
    /// A new pending future bound to this loop.
    template <class T = void>
    future<T> create_future() {
        return future<T>(new detail::standalone_future_state<T>(core_));
    }

    // --- running and stopping -----------------------------------------------------------

    /// Runs until stop() is called. Errors: std::runtime_error if running or closed.
    void run_forever();
    /// Runs until f is done and returns its result (or throws its exception).
    /// Errors: std::runtime_error if running or closed, or if stop() ended the run first.
    template <class T>
    T run_until_complete(future<T> f);
    /// Wraps c in a task and runs until it is done.
    template <class T>
    T run_until_complete(coro<T> c) {
        check_runnable(); // before the task exists: a refused run starts nothing
        return run_until_complete(future<T>(create_task(std::move(c))));
    }
    /// Makes run_forever return after the current iteration's callbacks.
    void stop() noexcept { stopping_ = true; }
    bool is_running() const noexcept { return running_; }
    bool is_closed() const noexcept { return closed_; }
    /// Cancels in-flight I/O, reports and drops pending tasks, frees the backend. Idempotent.
    /// Errors: std::runtime_error if the loop is running.
    void close();

    // --- errors and debugging ---------------------------------------------------------------

    void set_exception_handler(exception_handler handler) { handler_ = std::move(handler); }
    const exception_handler& get_exception_handler() const noexcept { return handler_; }
    /// Logs the context through coreloop::log (what runs when no handler is set).
    void default_exception_handler(const exception_context& context) const;
    /// Calls the handler (or the default one); an exception from the handler is logged.
    void call_exception_handler(const exception_context& context) noexcept;

    void set_debug(bool enabled) noexcept { core_.debug = enabled; }
    bool get_debug() const noexcept { return core_.debug; }
    /// In debug mode, callbacks and task steps slower than this are logged (default 100 ms).
    std::chrono::nanoseconds slow_callback_duration = std::chrono::milliseconds(100);

    /// "io_uring" or "epoll".
    std::string_view backend_name() const noexcept;

    // --- file descriptors and sockets --------------------------------------------------------

    /// Calls fn() each iteration while fd is readable, until remove_reader(fd). Replaces an
    /// earlier reader of fd. Remove it before closing fd.
    void add_reader(int fd, std::function<void()> fn);
    /// Stops watching fd for reading; false if it was not watched.
    bool remove_reader(int fd);
    void add_writer(int fd, std::function<void()> fn);
    bool remove_writer(int fd);

    /// Receives up to n bytes (an empty string at end of stream).
    /// Errors: io_error. Cancellation: no bytes are consumed by a cancelled receive.
    coro<std::string> sock_recv(socket& sock, std::size_t n);
    /// Receives into buffer, returning the number of bytes (0 at end of stream).
    /// Errors: io_error. Cancellation: no bytes are consumed by a cancelled receive.
    [[nodiscard]] detail::recv_into_awaiter sock_recv_into(socket& sock,
                                                           std::span<std::byte> buffer) {
        return {core_, sock.fileno(), buffer};
    }
    /// Sends all of data (which must stay alive until the await finishes).
    /// Errors: io_error (broken_pipe_error, connection_reset_error).
    /// Cancellation: part of data may have been sent.
    coro<void> sock_sendall(socket& sock, std::span<const std::byte> data);
    coro<void> sock_sendall(socket& sock, std::string_view data) {
        return sock_sendall(sock, std::as_bytes(std::span(data.data(), data.size())));
    }
    /// Accepts a connection on a listening socket: the new socket and the peer's address.
    [[nodiscard]] detail::accept_awaiter sock_accept(socket& listener) {
        return {core_, listener.fileno()};
    }
    /// Connects sock to address. Errors: connection_refused_error, io_error.
    [[nodiscard]] detail::connect_awaiter sock_connect(socket& sock, const sock_address& address) {
        return {core_, sock.fileno(), address};
    }

    /// Internals shared with the engine's detail code.
    detail::loop_core& core() noexcept { return core_; }
    /// Internal: the thread-safe inbox (the engine wakes sleeping shards through it).
    detail::inbox& inbox() noexcept { return inbox_; }

private:
    void run_once();
    void run_batch();
    bool idle_poll_found_work(std::optional<std::chrono::nanoseconds> timeout);
    std::optional<std::chrono::nanoseconds> poll_timeout() const noexcept;
    void check_runnable() const;
    void drop_ready() noexcept;
    void drop_pending_tasks() noexcept;
    void drop_posted() noexcept;
    void join_executors() noexcept;
    coro<void> shutdown_default_executor_for(std::optional<std::chrono::nanoseconds> timeout);

    detail::loop_core core_;
    detail::inbox inbox_;
    std::unique_ptr<thread_pool_executor> default_executor_;
    std::thread executor_joiner_; // runs default_executor_->shutdown(true) for shutdown_...()
    bool executor_shutdown_called_ = false;
    std::unique_ptr<detail::fd_watchers> watchers_;
    exception_handler handler_;
    bool running_ = false;
    bool stopping_ = false;
    bool closed_ = false;
    std::chrono::nanoseconds idle_poll_{};
};

/// The loop running on this thread. Errors: std::runtime_error if none.
event_loop& get_running_loop();

// --- templates ---------------------------------------------------------------------------

namespace detail {
template <class F, class... Args>
auto bind_callback(F&& fn, Args&&... args) {
    if constexpr (sizeof...(Args) == 0) {
        return std::forward<F>(fn);
    } else {
        return [f = std::forward<F>(fn), ... a = std::forward<Args>(args)]() mutable {
            std::invoke(f, a...);
        };
    }
}
} // namespace detail

template <class F, class... Args>
handle event_loop::call_soon(F&& fn, Args&&... args) {
    if (core_.debug) {
        core_.check_thread("call_soon");
    }
    auto* state = new detail::handle_state(
            core_, detail::bind_callback(std::forward<F>(fn), std::forward<Args>(args)...));
    state->add_ref(); // one for the ready queue, one for the returned handle
    core_.schedule(*state);
    return handle(state);
}

template <class F, class... Args>
void event_loop::call_soon_threadsafe(F&& fn, Args&&... args) {
    auto bound = detail::bind_callback(std::forward<F>(fn), std::forward<Args>(args)...);
    post(*new detail::posted_callback<decltype(bound)>(core_, std::move(bound)));
}

template <class F, class... Args>
timer_handle event_loop::call_at(clock::time_point when, F&& fn, Args&&... args) {
    if (core_.debug) {
        core_.check_thread("call_at");
    }
    auto* state = new detail::handle_state(
            core_, detail::bind_callback(std::forward<F>(fn), std::forward<Args>(args)...));
    state->add_ref(); // one for the timer heap, one for the returned handle
    state->deadline = when;
    core_.timers.add(*state);
    return timer_handle(state);
}

template <class T>
T event_loop::run_until_complete(future<T> f) {
    check_runnable();
    callback_id stopper = f.add_done_callback([this] { stop(); });
    try {
        run_forever();
    } catch (...) {
        f.remove_done_callback(stopper);
        throw;
    }
    f.remove_done_callback(stopper);
    if (!f.done()) {
        throw std::runtime_error("Event loop stopped before Future completed.");
    }
    if constexpr (std::is_void_v<T>) {
        f.result();
    } else {
        return std::move(f.result());
    }
}

} // namespace coreloop
