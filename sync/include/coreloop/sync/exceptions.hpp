// The exceptions of the sync module, asyncio's names in snake_case: broken_barrier_error,
// queue_empty, queue_full, queue_shut_down.
#pragma once

#include <stdexcept>
#include <string>

namespace coreloop::sync {

/// A barrier was aborted or reset while a task waited on it, or is broken
/// (asyncio.BrokenBarrierError, a RuntimeError).
class broken_barrier_error : public std::runtime_error {
public:
    explicit broken_barrier_error(const std::string& what = "barrier is broken")
        : std::runtime_error(what) {}
};

/// get_nowait() on an empty queue (asyncio.QueueEmpty).
class queue_empty : public std::runtime_error {
public:
    explicit queue_empty(const std::string& what = "queue is empty")
        : std::runtime_error(what) {}
};

/// put_nowait() on a full queue (asyncio.QueueFull).
class queue_full : public std::runtime_error {
public:
    explicit queue_full(const std::string& what = "queue is full")
        : std::runtime_error(what) {}
};

/// put or get on a queue that was shut down (asyncio.QueueShutDown, Python 3.13).
class queue_shut_down : public std::runtime_error {
public:
    explicit queue_shut_down(const std::string& what = "queue is shut down")
        : std::runtime_error(what) {}
};

} // namespace coreloop::sync
