// Small helpers shared by the sync tests.
#pragma once

#include <chrono>

#include <coreloop/exceptions.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

namespace coreloop::test {

/// Lets the loop run `n` iterations (each sleep(0) yields exactly once).
inline coro<void> spin(int n = 1) {
    for (int i = 0; i < n; ++i) {
        co_await sleep(std::chrono::seconds(0));
    }
}

/// Awaits t; true if it ended with cancelled_error.
template <class T>
coro<bool> ends_cancelled(task<T> t) {
    try {
        co_await t;
    } catch (const cancelled_error&) {
        co_return true;
    }
    co_return false;
}

} // namespace coreloop::test
