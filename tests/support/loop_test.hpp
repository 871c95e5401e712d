// The fixture every loop test uses: a fresh loop per test on the backend under test, a
// deadline, and teardown checks (no fd, frame or task left behind, no unexpected report).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <coreloop/event_loop.hpp>

namespace coreloop::test {

/// Open file descriptors of this process (entries of /proc/self/fd).
int count_open_fds();

/// What the loop's exception handler was told.
struct report {
    std::string message;
    std::exception_ptr exception;
    std::string task_name;
};

class loop_test : public ::testing::TestWithParam<backend> {
protected:
    void SetUp() override;
    void TearDown() override;

    event_loop& loop() { return *loop_; }

    /// Runs c as a task until it is done, failing the test (and cancelling c) if it takes
    /// longer than `deadline`.
    template <class T>
    T run(coro<T> c, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
        task<T> main = loop_->create_task(std::move(c), "test-main");
        bool timed_out = false;
        timer_handle watchdog = loop_->call_later(deadline, [&] {
            timed_out = true;
            main.cancel("test deadline");
        });
        struct cancel_watchdog {
            timer_handle& h;
            ~cancel_watchdog() { h.cancel(); }
        } guard{watchdog};
        if constexpr (std::is_void_v<T>) {
            loop_->run_until_complete(future<T>(main));
            EXPECT_FALSE(timed_out) << "the test's coroutine missed its deadline";
        } else {
            T result = loop_->run_until_complete(future<T>(main));
            EXPECT_FALSE(timed_out) << "the test's coroutine missed its deadline";
            return result;
        }
    }

    /// Reports the exception handler received; the test must consume what it expects
    /// (teardown fails on leftovers).
    std::vector<report> reports;
    loop_options options;

    /// Makes the loop (SetUp does it with `options`; tests may call it again after changing
    /// options, before using the loop).
    void make_loop();

private:
    std::unique_ptr<event_loop> loop_;
    int fds_before_ = 0;
    std::int64_t frames_before_ = 0;
};

std::string backend_name(const ::testing::TestParamInfo<backend>& info);

} // namespace coreloop::test

/// Instantiates a loop_test suite once per backend.
#define CORELOOP_ALL_BACKENDS(suite)                                                               \
    INSTANTIATE_TEST_SUITE_P(                                                                      \
            Backends, suite,                                                                       \
            ::testing::Values(::coreloop::backend::io_uring, ::coreloop::backend::epoll),          \
            ::coreloop::test::backend_name)
