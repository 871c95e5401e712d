// engine: N shards, each a thread running one event_loop pinned to one CPU, joined by
// lock-free rings (Seastar's smp / app_template; DESIGN.md "shards and bridges").
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <coreloop/backend.hpp>
#include <coreloop/concurrent_future.hpp>
#include <coreloop/coro.hpp>
#include <coreloop/event_loop.hpp>
#include <coreloop/run_coroutine_threadsafe.hpp>
#include <coreloop/shard.hpp>

namespace coreloop {

namespace detail {
class engine_state;
} // namespace detail

/// How an engine is made.
struct engine_options {
    /// The number of shards; nullopt: one per CPU of `cpuset`. More shards than CPUs run
    /// unpinned (and say so once).
    std::optional<unsigned> shards = {};
    /// The CPUs to use, as a list ("0-3,8"); empty: the CPUs this process may run on
    /// (sched_getaffinity).
    std::string cpuset = {};
    /// Pin each shard to one CPU (and bind its memory to that CPU's NUMA node). Where the
    /// system refuses, the shards run unpinned and the engine says so once.
    bool pin = true;
    /// The I/O backend of every shard's loop.
    backend io_backend = backend::auto_;
    /// Debug mode on every shard's loop.
    bool debug = false;
    /// How long an idle shard keeps polling before it blocks (loop_options::idle_poll): a
    /// shard that polls answers a call without the ~10-60 us of a wake-up, at the price of
    /// that much CPU each time it runs out of work. 0: block at once.
    std::chrono::nanoseconds idle_poll = {};
    /// Slots per cross-shard ring (one ring per ordered pair of shards); a power of two.
    /// Messages that do not fit wait on the sender (never blocked, never dropped).
    std::size_t ring_capacity = 1024;
    /// SIGINT and SIGTERM stop the engine cleanly (run then throws keyboard_interrupt or
    /// system_exit).
    bool handle_signals = true;
};

/// A set of shards. run() starts them, runs a coroutine (on shard 0, or on every shard), and
/// stops them when it returns, throws, or SIGINT/SIGTERM arrives:
/// 1. every shard's main task is cancelled (if still running) and the stop is announced;
/// 2. each shard cancels its remaining tasks and waits for them, and for every cross-shard
///    message it sent to come back, while still serving the other shards' calls (coroutine
///    calls that arrive now start cancelled; plain functions run);
/// 3. once all shards are idle, each shuts its default executor down and leaves its loop;
/// 4. the loops are closed one after the other, from the last shard down to shard 0.
/// Shard 0 is the calling thread; the others are threads the engine starts and joins.
/// An engine runs once.
///
/// Errors: the constructor throws std::invalid_argument for a bad cpuset or option.
/// Shard: construct and run on one thread; request_stop, call_soon_threadsafe and
/// run_coroutine_threadsafe from any thread while it runs.
class engine {
public:
    explicit engine(engine_options options = {});
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;
    ~engine();

    /// The number of shards.
    unsigned shard_count() const noexcept;
    /// The CPU shard `shard` is pinned to, or -1 when it runs unpinned.
    int cpu_of(shard_id shard) const;

    /// Calls main() on shard 0 (inside the running loop), runs the coro it returns as the main
    /// task, and gives its result once the engine has stopped.
    /// Errors: what main's task threw; keyboard_interrupt (SIGINT) or system_exit (SIGTERM)
    /// if a signal cancelled it; std::runtime_error if the engine ran already or a shard
    /// could not start (std::system_error from its backend, for example).
    template <class Main>
    auto run(Main main) -> typename std::invoke_result_t<Main&>::value_type;

    /// Calls main() on every shard (concurrently, each on its own thread; this_shard_id()
    /// tells which) and runs the coros as each shard's main task. Stops when all have
    /// returned, or at the first exception, which cancels the others and is rethrown. Gives
    /// the results by shard (nothing for coro<void>).
    template <class Main>
    auto run_on_all(Main main);

    /// Starts the stop sequence (see the class comment); the main tasks are cancelled.
    /// Shard: any thread. Does nothing before run() or after the engine stopped.
    void request_stop() noexcept;

    /// The loop of shard `shard`, for its thread-safe methods (call_soon_threadsafe). Exists
    /// from the start of run() until the engine is destroyed (closed after run() returns).
    /// Errors: std::out_of_range for a bad shard; std::runtime_error before run().
    event_loop& loop(shard_id shard);

    /// Schedules fn() on shard `shard`'s loop from any thread (the loop's
    /// call_soon_threadsafe). Errors: std::runtime_error once the shard's loop is closed.
    template <class F>
    void call_soon_threadsafe(shard_id shard, F&& fn) {
        loop(shard).call_soon_threadsafe(std::forward<F>(fn));
    }

    /// Runs coro_factory() as a task on shard `shard` from any thread; see
    /// coreloop::run_coroutine_threadsafe.
    template <class Factory>
    auto run_coroutine_threadsafe(shard_id shard, Factory coro_factory) {
        return coreloop::run_coroutine_threadsafe(std::move(coro_factory), loop(shard));
    }

private:
    using main_factory = std::function<coro<void>()>;
    /// Runs the engine; `main` is called on shard 0 only or on every shard.
    void run_mains(main_factory main, bool on_every_shard);

    std::unique_ptr<detail::engine_state> state_;
};

// --- templates ---------------------------------------------------------------------------

namespace detail {

// Stores what main's coro gives into `out` (which outlives the engine run).
template <class Main, class T>
coro<void> run_main_into(Main& main, std::optional<T>& out) {
    out.emplace(co_await main());
}

template <class Main>
coro<void> run_main_void(Main& main) {
    co_await main();
}

} // namespace detail

template <class Main>
auto engine::run(Main main) -> typename std::invoke_result_t<Main&>::value_type {
    using T = typename std::invoke_result_t<Main&>::value_type;
    if constexpr (std::is_void_v<T>) {
        run_mains([&main] { return detail::run_main_void(main); }, false);
    } else {
        std::optional<T> result;
        run_mains([&main, &result] { return detail::run_main_into(main, result); }, false);
        return std::move(*result);
    }
}

template <class Main>
auto engine::run_on_all(Main main) {
    using T = typename std::invoke_result_t<Main&>::value_type;
    if constexpr (std::is_void_v<T>) {
        run_mains([&main] { return detail::run_main_void(main); }, true);
    } else {
        std::vector<std::optional<T>> results(shard_count());
        run_mains(
                [&main, &results] { return detail::run_main_into(main, results[this_shard_id()]); },
                true);
        std::vector<T> values;
        values.reserve(results.size());
        for (auto& r : results) {
            values.push_back(std::move(*r));
        }
        return values;
    }
}

} // namespace coreloop
