// Coroutines and a fixture the composition tests share: children that finish or fail after
// a delay, on a loop with virtual time (the delays order them at no wall-clock cost).
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

#include <coreloop/sleep.hpp>

#include "support/loop_test.hpp"

namespace coreloop::test {

/// A loop_test whose loop runs on virtual time.
class virtual_time_test : public loop_test {
protected:
    void SetUp() override {
        options.virtual_time = true;
        loop_test::SetUp();
    }
};

/// The error test children throw.
struct test_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline coro<int> value_after(std::chrono::milliseconds delay, int value) {
    co_await sleep(delay);
    co_return value;
}

// Two overloads, not a default argument: see docs/coroutine-pitfalls.md, item 3.
inline coro<int> fail_after(std::chrono::milliseconds delay, std::string what) {
    co_await sleep(delay);
    throw test_error(what);
}

inline coro<int> fail_after(std::chrono::milliseconds delay) {
    return fail_after(delay, "failed");
}

} // namespace coreloop::test
