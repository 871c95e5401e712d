// SIGINT and SIGTERM while an engine runs: blocked in every shard thread and read on shard 0
// through a signalfd, so they stop the engine cleanly instead of killing the process.
#pragma once

#include <signal.h>

#include <coreloop/event_loop.hpp>

namespace coreloop::detail {

class engine_state;

/// Blocks SIGINT and SIGTERM in the calling thread (and so in the shard threads it starts)
/// for its lifetime; at the end, discards those that arrived and were not read, then restores
/// the thread's signal mask. Does nothing when `enabled` is false.
class blocked_stop_signals {
public:
    explicit blocked_stop_signals(bool enabled) noexcept;
    blocked_stop_signals(const blocked_stop_signals&) = delete;
    blocked_stop_signals& operator=(const blocked_stop_signals&) = delete;
    ~blocked_stop_signals();

private:
    sigset_t old_{};
    bool enabled_;
};

/// Reads SIGINT and SIGTERM on `loop` (shard 0's) and hands them to engine.on_signal().
/// Must be destroyed after the loop is closed.
class signal_reader {
public:
    signal_reader(engine_state& engine, event_loop& loop);
    signal_reader(const signal_reader&) = delete;
    signal_reader& operator=(const signal_reader&) = delete;
    ~signal_reader();

private:
    void on_readable() noexcept;

    engine_state& engine_;
    int fd_ = -1;
};

} // namespace coreloop::detail
