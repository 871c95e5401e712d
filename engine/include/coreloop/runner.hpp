// run(coro) and runner: the entry points that own a loop for the length of a program
// (asyncio.run, asyncio.Runner).
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include <coreloop/coro.hpp>
#include <coreloop/event_loop.hpp>

namespace coreloop {

struct run_options {
    bool debug = false;
    backend io_backend = backend::auto_;
    /// Makes the loop; when empty, event_loop({io_backend, debug}) is used.
    std::function<std::unique_ptr<event_loop>()> loop_factory = {};
};

/// Owns one loop, made on first use (asyncio.Runner). Destroying the runner closes it.
/// Shard: one thread; not while another loop runs on it.
class runner {
public:
    explicit runner(run_options options = {})
        : options_(std::move(options)) {}
    runner(const runner&) = delete;
    runner& operator=(const runner&) = delete;
    ~runner() { close(); }

    /// Runs c as the main task until it is done and returns its result.
    /// Errors: what c throws; std::runtime_error if a loop is running on this thread or the
    /// runner is closed.
    template <class T>
    T run(coro<T> c) {
        event_loop& loop = get_loop();
        if (detail::tls_running_loop != nullptr) {
            throw std::runtime_error("runner::run() cannot be called from a running event loop");
        }
        return loop.run_until_complete(std::move(c));
    }

    /// Cancels the tasks still pending, waits for them to end, and closes the loop.
    /// Idempotent.
    void close();

    /// The runner's loop (made now if needed). Errors: std::runtime_error if closed.
    event_loop& get_loop();

private:
    run_options options_;
    std::unique_ptr<event_loop> loop_;
    bool closed_ = false;
};

/// Runs c on a new loop and returns its result; the loop is closed afterwards, its leftover
/// tasks cancelled first (asyncio.run).
template <class T>
T run(coro<T> c, run_options options = {}) {
    runner r(std::move(options));
    return r.run(std::move(c));
}

} // namespace coreloop
