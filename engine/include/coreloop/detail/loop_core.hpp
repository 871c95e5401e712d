// The state of one shard's loop that the engine's internals share: the ready queue, the timers,
// the reactor, the clock and the list of live tasks. event_loop is its public face.
#pragma once

#include <cstdint>
#include <exception>
#include <thread>

#include <coreloop/detail/ready_queue.hpp>
#include <coreloop/detail/timer_queue.hpp>

namespace coreloop {
class event_loop;
struct exception_context;
} // namespace coreloop

namespace coreloop::detail {

class reactor;
class shard_links;
struct io_op;

/// Work the loop does right before it polls the kernel, once per queueing: a transport's
/// writes of one iteration leave in one system call.
struct flush_hook {
    using run_fn = void (*)(flush_hook& self) noexcept;
    explicit flush_hook(run_fn fn) noexcept
        : run(fn) {}
    run_fn run;
    flush_hook* next_flush = nullptr;
    bool flush_queued = false;
};

/// Something that holds kernel operations outside any task (a transport, a server): the loop
/// tells it to end them when it closes.
class loop_resource {
public:
    /// Ends every operation (cancels them); must not run callbacks of user code.
    virtual void on_loop_close() noexcept = 0;

    virtual ~loop_resource() = default;

private:
    friend struct loop_core;
    loop_resource* next_resource_ = nullptr;
    loop_resource* prev_resource_ = nullptr;
};
class task_core;
class io_awaiter_base;

struct loop_core {
    event_loop* owner = nullptr;
    ready_queue ready;
    timer_queue timers;
    reactor* io = nullptr; // owned by event_loop
    clock::time_point now{};
    bool virtual_clock = false;
    bool debug = false;
    bool eager_tasks = false; // the task factory is eager_task_factory
    std::thread::id thread;
    task_core* tasks = nullptr; // pending tasks, newest first
    std::size_t task_count = 0;
    std::uint64_t next_task_id = 1;
    std::int64_t live_futures = 0;

    io_awaiter_base* ops_in_flight = nullptr;
    flush_hook* flushes = nullptr;      // queued flush hooks, newest first
    loop_resource* resources = nullptr; // open transports and servers
    /// The cross-shard rings, on a loop that is an engine's shard (owned by the engine).
    shard_links* links = nullptr;

    void schedule(runnable& r) noexcept { ready.push(r); }

    /// Hands an awaiter's op to the reactor and tracks it until op_finished().
    void submit(io_awaiter_base& op) noexcept;
    void op_finished(io_awaiter_base& op) noexcept;
    /// Cancels op and runs the reactor until the op's completion arrived (frame teardown).
    void cancel_and_drain(io_awaiter_base& op) noexcept;
    /// Cancels every tracked op and waits for all their completions (loop close).
    void cancel_all_ops() noexcept;

    /// Queues h to run before the next poll (no-op if queued already).
    void queue_flush(flush_hook& h) noexcept {
        if (!h.flush_queued) {
            h.flush_queued = true;
            h.next_flush = flushes;
            flushes = &h;
        }
    }
    bool has_flushes() const noexcept { return flushes != nullptr; }
    /// Runs the queued flush hooks (hooks queued meanwhile run too).
    void run_flushes() noexcept;

    void add_resource(loop_resource& r) noexcept;
    void remove_resource(loop_resource& r) noexcept;
    /// Loop close: on_loop_close() for every resource, which removes itself.
    void close_resources() noexcept;

    /// Reads the clock (the virtual one in tests) into `now`.
    void update_time() noexcept {
        if (!virtual_clock) {
            now = clock::now();
        }
    }

    /// Hands `context` to the loop's exception handler (never throws).
    void report(const exception_context& context) noexcept;

    /// In debug mode, throws std::runtime_error when called off the loop's thread.
    void check_thread(const char* what) const;
};

/// Reports an exception that escaped a callback run by the loop (asyncio's
/// "Exception in callback ...").
void report_callback_exception(loop_core& loop, std::exception_ptr e) noexcept;

/// The loop running on this thread, or nullptr.
inline constinit thread_local loop_core* tls_running_loop = nullptr;

/// The task whose step is running on this thread, or nullptr.
inline constinit thread_local task_core* tls_current_task = nullptr;

/// The running loop; throws std::runtime_error("no running event loop") if there is none.
loop_core& running_loop_core();

} // namespace coreloop::detail
