// What an engine run shares between its shard threads: the loops, the rings, the mains, and
// the stop sequence's flags and counters.
#pragma once

#include <atomic>
#include <barrier>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "placement.hpp"
#include "shard_links.hpp"
#include <coreloop/engine.hpp>
#include <coreloop/future.hpp>
#include <coreloop/task.hpp>

namespace coreloop::detail {

struct shard_slot {
    std::unique_ptr<event_loop> loop;
    std::unique_ptr<shard_links> links;
    future<void> stop;     // done once the stop is announced on this shard
    future<void> all_idle; // done once every shard is idle
    any_task main;         // this shard's main task, if it has one
    std::thread thread;    // empty for shard 0 (the calling thread)
    std::exception_ptr setup_error;
};

class engine_state;

// Runs once, when the last shard has made its loop and before any is released.
struct loops_made_completion {
    engine_state* engine;
    void operator()() noexcept;
};

class engine_state {
public:
    explicit engine_state(engine_options opts);

    /// Sets what run() runs: main() on shard 0, or on every shard.
    void prepare(std::function<coro<void>()> main_factory, bool on_every_shard) {
        main = std::move(main_factory);
        main_on_every_shard = on_every_shard;
        mains_left_.store(on_every_shard ? plan.shards() : 1);
    }

    /// Runs shard `id` on the calling thread: its loop, its part of the stop sequence, and
    /// the close of its loop in turn.
    void run_shard(shard_id id) noexcept;
    /// Starts the stop sequence once (any thread).
    void request_stop() noexcept;
    /// A signal arrived on shard 0: remembers the first, then stops.
    void on_signal(int signo) noexcept;

    /// The exception run() throws after the engine stopped, or nullptr.
    std::exception_ptr outcome_error() const;

    engine_options options;
    placement plan;
    ring_mesh mesh;
    std::vector<shard_slot> shards;
    std::function<coro<void>()> main;
    bool main_on_every_shard = false;

    std::atomic<bool> ran{false};
    std::atomic<bool> loops_ready{false};
    std::atomic<bool> stopping{false};
    std::atomic<int> stop_signal{0};

private:
    friend coro<void> shard_lifecycle(engine_state& e, shard_id id);
    friend struct loops_made_completion;

    bool setup_shard(shard_id id) noexcept;
    void close_in_turn(shard_id id) noexcept;
    void record_error(std::exception_ptr e);
    /// A main task ended: the first error, or the last main, stops the engine.
    void main_finished(const any_task& main_task);
    /// This shard has no task and no message away: the last one to say so releases all.
    void shard_idle() noexcept;

    std::barrier<loops_made_completion> loops_made_;
    std::barrier<> loops_left_;
    std::atomic<unsigned> mains_left_{0};
    std::atomic<unsigned> idle_shards_{0};
    std::atomic<unsigned> close_turn_{0};
    mutable std::mutex error_mutex_;
    std::exception_ptr first_error_;
};

/// The engine of the calling shard thread, or nullptr.
inline constinit thread_local engine_state* tls_engine = nullptr;

} // namespace coreloop::detail
