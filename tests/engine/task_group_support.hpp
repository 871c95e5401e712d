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

#include "support/loop_test.hpp"

namespace coreloop::test {

using namespace std::chrono_literals;

class TaskGroup : public test::loop_test {
protected:
    void SetUp() override {
        options.virtual_time = true; // the sleeps below cost no wall time
        loop_test::SetUp();
    }
};

struct test_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct value_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct my_base_error : base_exception {
    using base_exception::base_exception;
};

inline coro<int> value_after(std::chrono::milliseconds d, int v) {
    co_await sleep(d);
    co_return v;
}

inline coro<void> fail_after(std::chrono::milliseconds d, std::string what) {
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
