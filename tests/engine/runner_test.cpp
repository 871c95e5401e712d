// run() and runner: results, exceptions, leftover tasks cancelled at the end, nesting rules,
// lifecycle and options (CPython's test_runners.py, carried over).
#include <coreloop/runner.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

#include <coreloop/detail/frame_allocator.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

struct test_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Checks that a test leaves no descriptor and no coroutine frame behind.
class Runner : public ::testing::Test {
protected:
    void SetUp() override {
        fds_before_ = test::count_open_fds();
        frames_before_ = detail::live_frames();
    }
    void TearDown() override {
        EXPECT_EQ(test::count_open_fds(), fds_before_) << "file descriptors leaked";
        EXPECT_EQ(detail::live_frames(), frames_before_) << "coroutine frames leaked";
    }

private:
    int fds_before_ = 0;
    std::int64_t frames_before_ = 0;
};

coro<int> answer() {
    co_await sleep(0s);
    co_return 42;
}

coro<int> fails() {
    co_await sleep(0s);
    throw test_error("main failed");
}

struct cleanup_record {
    bool cancelled = false;
    bool cleaned_up = false;
};

coro<void> sleeps_an_hour(cleanup_record& rec) {
    struct on_exit {
        cleanup_record& r;
        ~on_exit() { r.cleaned_up = true; }
    } guard{rec};
    try {
        co_await sleep(1h);
    } catch (const cancelled_error&) {
        rec.cancelled = true;
        throw;
    }
}

coro<void> cleanup_needs_the_loop(cleanup_record& rec) {
    try {
        co_await sleep(1h);
    } catch (const cancelled_error&) {
        rec.cancelled = true;
    }
    co_await sleep(1ms); // asynchronous cleanup while the runner shuts down
    rec.cleaned_up = true;
}

TEST_F(Runner, RunReturnsTheValue) {
    EXPECT_EQ(run(answer()), 42);
}

TEST_F(Runner, RunVoid) {
    bool ran = false;
    run([](bool& flag) -> coro<void> {
        co_await sleep(0s);
        flag = true;
    }(ran));
    EXPECT_TRUE(ran);
}

TEST_F(Runner, RunPropagatesTheException) {
    EXPECT_THROW(run(fails()), test_error);
}

TEST_F(Runner, RunCancelsLeftoverTasks) {
    cleanup_record rec;
    run([](cleanup_record& r) -> coro<void> {
        create_task(sleeps_an_hour(r));
        co_await sleep(0s);
    }(rec));
    EXPECT_TRUE(rec.cancelled);
    EXPECT_TRUE(rec.cleaned_up);
}

TEST_F(Runner, LeftoverTasksMayAwaitDuringShutdown) {
    cleanup_record rec;
    run([](cleanup_record& r) -> coro<void> {
        create_task(cleanup_needs_the_loop(r));
        co_await sleep(0s);
    }(rec));
    EXPECT_TRUE(rec.cancelled);
    EXPECT_TRUE(rec.cleaned_up);
}

TEST_F(Runner, LeftoverTasksAreCancelledAfterAFailure) {
    cleanup_record rec;
    EXPECT_THROW(run([](cleanup_record& r) -> coro<void> {
                     create_task(sleeps_an_hour(r));
                     co_await sleep(0s);
                     throw test_error("main failed");
                 }(rec)),
                 test_error);
    EXPECT_TRUE(rec.cancelled);
    EXPECT_TRUE(rec.cleaned_up);
}

TEST_F(Runner, RunInsideARunningLoopThrows) {
    run([]() -> coro<void> {
        EXPECT_THROW(run(answer()), std::runtime_error);
        runner inner;
        EXPECT_THROW(inner.run(answer()), std::runtime_error);
        co_return;
    }());
}

TEST_F(Runner, GetLoopIsLazyAndStable) {
    runner r;
    event_loop& l = r.get_loop();
    EXPECT_EQ(&r.get_loop(), &l);
    EXPECT_FALSE(l.is_closed());
    event_loop* seen = r.run([]() -> coro<event_loop*> {
        co_await sleep(0s);
        co_return &get_running_loop();
    }());
    EXPECT_EQ(seen, &l);
}

TEST_F(Runner, RunsSeveralTimesOnTheSameLoop) {
    runner r;
    EXPECT_EQ(r.run(answer()), 42);
    EXPECT_EQ(r.run(answer()), 42);
    EXPECT_THROW(r.run(fails()), test_error);
    EXPECT_EQ(r.run(answer()), 42);
}

TEST_F(Runner, CloseIsIdempotentAndFinal) {
    runner r;
    EXPECT_EQ(r.run(answer()), 42);
    r.close();
    r.close();
    EXPECT_THROW(r.get_loop(), std::runtime_error);
    EXPECT_THROW(r.run(answer()), std::runtime_error);
}

TEST_F(Runner, CloseBeforeUseMakesNoLoop) {
    runner r;
    r.close();
    EXPECT_THROW(r.get_loop(), std::runtime_error);
}

TEST_F(Runner, CloseCancelsLeftoverTasks) {
    cleanup_record rec;
    runner r;
    r.run([](cleanup_record& x) -> coro<void> {
        create_task(sleeps_an_hour(x));
        co_await sleep(0s);
    }(rec));
    EXPECT_FALSE(rec.cancelled); // a runner keeps its loop (and tasks) between runs
    r.close();
    EXPECT_TRUE(rec.cancelled);
    EXPECT_TRUE(rec.cleaned_up);
}

TEST_F(Runner, DestructorClosesTheLoop) {
    cleanup_record rec;
    {
        runner r;
        r.run([](cleanup_record& x) -> coro<void> {
            create_task(sleeps_an_hour(x));
            co_await sleep(0s);
        }(rec));
    }
    EXPECT_TRUE(rec.cancelled);
    EXPECT_TRUE(rec.cleaned_up);
}

coro<std::string> backend_in_use() {
    co_return std::string(get_running_loop().backend_name());
}

TEST_F(Runner, EpollBackendOption) {
    run_options options;
    options.io_backend = backend::epoll;
    EXPECT_EQ(run(backend_in_use(), options), "epoll");
}

TEST_F(Runner, IoUringBackendOption) {
    std::string name;
    try {
        run_options options;
        options.io_backend = backend::io_uring;
        name = run(backend_in_use(), options);
    } catch (const std::system_error& e) {
        GTEST_SKIP() << "io_uring is not available here: " << e.what();
    }
    EXPECT_EQ(name, "io_uring");
}

TEST_F(Runner, DebugOption) {
    run_options options;
    options.debug = true;
    bool debug = run([]() -> coro<bool> { co_return get_running_loop().get_debug(); }(), options);
    EXPECT_TRUE(debug);
}

TEST_F(Runner, LoopFactoryOption) {
    int made = 0;
    run_options options;
    options.loop_factory = [&made] {
        ++made;
        return std::make_unique<event_loop>(loop_options{.virtual_time = true});
    };
    auto wall = std::chrono::steady_clock::now();
    int v = run(
            []() -> coro<int> {
                co_await sleep(1h); // virtual time: no real wait
                co_return 1;
            }(),
            options);
    EXPECT_EQ(v, 1);
    EXPECT_EQ(made, 1);
    EXPECT_LT(std::chrono::steady_clock::now() - wall, 1s);
}

TEST_F(Runner, NoLoopIsLeftRunningAfterwards) {
    EXPECT_EQ(run(answer()), 42);
    EXPECT_THROW(get_running_loop(), std::runtime_error);
    EXPECT_EQ(run(answer()), 42); // a second run on the same thread works
}

} // namespace
} // namespace coreloop
