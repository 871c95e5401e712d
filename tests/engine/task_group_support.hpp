// The fixture and helpers the task_group tests share.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task_group.hpp>
#include <coreloop/timeout.hpp>

#include "support/test_coros.hpp"

namespace coreloop::test {

using namespace std::chrono_literals;

class TaskGroup : public virtual_time_test {};

struct value_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct my_base_error : base_exception {
    using base_exception::base_exception;
};

// A void child failing after d (test_coros.hpp's fail_after gives an int).
inline coro<void> void_fail_after(std::chrono::milliseconds d, std::string what) {
    co_await sleep(d);
    throw test_error(what);
}

inline coro<void> fail_now(std::string what) {
    throw test_error(what);
    co_return;
}

// Sleeps d, counting a cancellation in `cancels` before letting it through.
inline coro<void> sleep_counting(std::chrono::milliseconds d, int& cancels) {
    try {
        co_await sleep(d);
    } catch (const cancelled_error&) {
        ++cancels;
        throw;
    }
}

template <class E>
inline int count_of(const base_exception_group& g) {
    int n = 0;
    for (const auto& e : g.exceptions()) {
        n += detail::leaf_is<E>(e) ? 1 : 0;
    }
    return n;
}

} // namespace coreloop::test
