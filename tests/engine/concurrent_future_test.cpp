// concurrent_future: blocking waits with timeouts, cancellation and done callbacks across
// threads.
#include <coreloop/concurrent_future.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace coreloop {
namespace {

template <class T>
concurrent_future<T> make_pending() {
    return concurrent_future<T>(std::make_shared<detail::concurrent_state<T>>());
}

TEST(ConcurrentFuture, ResultWaitsForAnotherThread) {
    auto f = make_pending<std::string>();
    std::jthread producer([state = f.state()] {
        std::this_thread::sleep_for(5ms);
        state->set_value("done");
    });
    EXPECT_EQ(f.result(5s), "done");
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.exception(), nullptr);
}

TEST(ConcurrentFuture, ResultTimesOut) {
    auto f = make_pending<int>();
    EXPECT_THROW(f.result(1ms), timeout_error);
    EXPECT_THROW(f.exception(1ms), timeout_error);
    EXPECT_FALSE(f.done());
}

TEST(ConcurrentFuture, ExceptionIsRethrown) {
    auto f = make_pending<void>();
    f.state()->set_exception(std::make_exception_ptr(std::invalid_argument("bad")));
    EXPECT_THROW(f.result(), std::invalid_argument);
    EXPECT_NE(f.exception(), nullptr);
}

TEST(ConcurrentFuture, CancelEndsAPendingFutureOnly) {
    auto f = make_pending<int>();
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(f.cancelled());
    EXPECT_FALSE(f.cancel());
    EXPECT_THROW(f.result(), cancelled_error);
    EXPECT_THROW(f.exception(), cancelled_error);
    EXPECT_FALSE(f.state()->set_value(1)) << "a done future takes no value";

    auto g = make_pending<int>();
    g.state()->set_value(3);
    EXPECT_FALSE(g.cancel());
    EXPECT_EQ(g.result(), 3);
}

TEST(ConcurrentFuture, DoneCallbackRunsOnTheCompletingThread) {
    auto f = make_pending<int>();
    std::atomic<bool> added{false};
    std::atomic<bool> on_producer{false};
    std::atomic<int> value{0};
    {
        std::jthread producer([&, state = f.state()] {
            while (!added.load()) {
                std::this_thread::yield();
            }
            auto self = std::this_thread::get_id();
            state->add_callback([&, self](concurrent_future<int>&) {
                on_producer = std::this_thread::get_id() == self;
            });
            state->set_value(9);
        });
        f.add_done_callback([&](concurrent_future<int>& done) { value = done.result(); });
        added = true;
    }
    EXPECT_TRUE(on_producer.load());
    EXPECT_EQ(value.load(), 9);

    // Once done, a new callback runs at once, here.
    bool ran_here = false;
    f.add_done_callback([&] { ran_here = true; });
    EXPECT_TRUE(ran_here);
}

TEST(ConcurrentFuture, ThrowingDoneCallbackIsIgnored) {
    auto f = make_pending<int>();
    int after = 0;
    f.add_done_callback([] { throw std::runtime_error("ignored"); });
    f.add_done_callback([&] { ++after; });
    f.state()->set_value(1);
    EXPECT_EQ(after, 1);
}

} // namespace
} // namespace coreloop
