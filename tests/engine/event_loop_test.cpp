// event_loop: scheduling order, iterations, timers, handles, running and closing, the exception
// handler and debug mode (CPython's test_events.py, carried over).
#include <coreloop/event_loop.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <coreloop/log.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class EventLoop : public test::loop_test {};

struct test_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Captures what the library logs for the length of a test, then restores the old sink.
class log_capture {
public:
    log_capture() {
        old_ = set_log_sink([this](log_level level, std::string_view text) {
            lines.push_back({level, std::string(text)});
        });
    }
    log_capture(const log_capture&) = delete;
    log_capture& operator=(const log_capture&) = delete;
    ~log_capture() { set_log_sink(std::move(old_)); }

    bool contains(std::string_view text) const {
        for (const auto& l : lines) {
            if (l.text.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

    struct line {
        log_level level;
        std::string text;
    };
    std::vector<line> lines;

private:
    log_sink old_;
};

void busy_wait(std::chrono::milliseconds d) {
    auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
    }
}

coro<int> answer() {
    co_return 42;
}

coro<int> fail_after_yield() {
    co_await sleep(0s);
    throw test_error("task failed");
}

// --- call_soon and iterations ----------------------------------------------------------------

TEST_P(EventLoop, CallSoonIsFifo) {
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) {
        loop().call_soon([&order, i] { order.push_back(i); });
    }
    loop().call_soon([this] { loop().stop(); });
    loop().run_forever();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_P(EventLoop, CallSoonPassesArguments) {
    std::string got;
    loop().call_soon([&got](int n, const std::string& s) { got = s + std::to_string(n); }, 7,
                     std::string("x"));
    loop().call_soon([this] { loop().stop(); });
    loop().run_forever();
    EXPECT_EQ(got, "x7");
}

TEST_P(EventLoop, CallbackScheduledDuringIterationRunsInNextOne) {
    // A ticker that reschedules itself runs exactly once per iteration: it counts them.
    struct state {
        int iteration = 0;
        bool ticking = true;
        std::vector<std::pair<char, int>> seen;
    } s;
    std::function<void()> tick = [&] {
        ++s.iteration;
        if (s.ticking) {
            loop().call_soon(tick);
        }
    };
    loop().call_soon(tick);
    loop().call_soon([&] {
        s.seen.emplace_back('a', s.iteration);
        loop().call_soon([&] {
            s.seen.emplace_back('b', s.iteration);
            loop().call_soon([&] {
                s.seen.emplace_back('c', s.iteration);
                s.ticking = false;
                loop().stop();
            });
        });
    });
    loop().call_soon([&] { s.seen.emplace_back('d', s.iteration); });
    loop().run_forever();
    ASSERT_EQ(s.seen.size(), 4U);
    // 'd' was ready at the start of the first iteration, so it runs before 'b'.
    EXPECT_EQ(s.seen[0], std::make_pair('a', 1));
    EXPECT_EQ(s.seen[1], std::make_pair('d', 1));
    EXPECT_EQ(s.seen[2], std::make_pair('b', 2));
    EXPECT_EQ(s.seen[3], std::make_pair('c', 3));
}

TEST_P(EventLoop, SelfReschedulingCallbackDoesNotStarveTimers) {
    int spins = 0;
    bool timer_fired = false;
    std::function<void()> spin = [&] {
        ++spins;
        if (!timer_fired) {
            loop().call_soon(spin);
        }
    };
    loop().call_soon(spin);
    loop().call_later(2ms, [&] {
        timer_fired = true;
        loop().stop();
    });
    loop().run_forever();
    EXPECT_TRUE(timer_fired);
    // One spin if a slow (sanitizer) build reaches the deadline in the first iteration.
    EXPECT_GE(spins, 1);
}

// --- timers -------------------------------------------------------------------------------

TEST_P(EventLoop, CallLaterRunsInDeadlineOrder) {
    // Virtual time: the four calls share one "now", however slow the build.
    options.virtual_time = true;
    make_loop();
    std::vector<int> order;
    loop().call_later(3ms, [&] { order.push_back(3); });
    loop().call_later(1ms, [&] { order.push_back(1); });
    loop().call_later(2ms, [&] { order.push_back(2); });
    loop().call_later(4ms, [&] { loop().stop(); });
    loop().run_forever();
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST_P(EventLoop, CallLaterOnAnIdleLoopCountsFromTheCall) {
    // asyncio: call_later(delay) fires no earlier than `delay` after the call, however long
    // the loop has been idle before it.
    loop().run_until_complete(loop().create_task([]() -> coro<void> { co_return; }()));
    std::this_thread::sleep_for(20ms);
    auto start = std::chrono::steady_clock::now();
    loop().call_later(10ms, [this] { loop().stop(); });
    loop().run_forever();
    EXPECT_GE(std::chrono::steady_clock::now() - start, 10ms)
            << "the timer counted from a stale loop time";
}

TEST_P(EventLoop, CallAtRunsNoEarlierThanItsDeadline) {
    auto when = loop().time() + 3ms;
    event_loop::clock::time_point ran_at{};
    loop().call_at(when, [&] {
        ran_at = loop().time();
        loop().stop();
    });
    loop().run_forever();
    EXPECT_GE(ran_at, when);
}

TEST_P(EventLoop, EqualDeadlinesRunInInsertionOrder) {
    std::vector<int> order;
    auto when = loop().time() + 2ms;
    for (int i = 0; i < 20; ++i) {
        loop().call_at(when, [&order, i] { order.push_back(i); });
    }
    loop().call_at(when, [this] { loop().stop(); });
    loop().run_forever();
    std::vector<int> expected;
    for (int i = 0; i < 20; ++i) {
        expected.push_back(i);
    }
    EXPECT_EQ(order, expected);
}

TEST_P(EventLoop, CallLaterAndCallAtInterleaveByDeadline) {
    std::vector<std::string> order;
    auto now = loop().time();
    loop().call_at(now + 2ms, [&] { order.emplace_back("at2"); });
    loop().call_later(1ms, [&] { order.emplace_back("later1"); });
    loop().call_later(2ms, [&] { order.emplace_back("later2"); }); // same deadline, after at2
    loop().call_soon([&] { order.emplace_back("soon"); });
    loop().call_later(3ms, [&] { loop().stop(); });
    loop().run_forever();
    EXPECT_EQ(order, (std::vector<std::string>{"soon", "later1", "at2", "later2"}));
}

TEST_P(EventLoop, VirtualTimeJumpsToTheNextTimer) {
    options.virtual_time = true;
    make_loop();
    auto start = loop().time();
    auto wall = std::chrono::steady_clock::now();
    std::vector<int> order;
    loop().call_later(2h, [&] {
        order.push_back(2);
        loop().stop();
    });
    loop().call_later(1h, [&] { order.push_back(1); });
    loop().run_forever();
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
    EXPECT_GE(loop().time() - start, 2h);
    EXPECT_LT(std::chrono::steady_clock::now() - wall, 1s);
}

TEST_P(EventLoop, TimerHandleWhenIsTheDeadline) {
    auto when = loop().time() + 10ms;
    timer_handle a = loop().call_at(when, [] {});
    EXPECT_EQ(a.when(), when);
    // Outside a run, time() reads the clock at each call: when() lies between two reads.
    auto before = loop().time();
    timer_handle b = loop().call_later(5ms, [] {});
    auto after = loop().time();
    EXPECT_GE(b.when(), before + 5ms);
    EXPECT_LE(b.when(), after + 5ms);
    a.cancel();
    b.cancel();
}

TEST_P(EventLoop, CancelledTimerNeverRuns) {
    bool ran = false;
    timer_handle h = loop().call_later(1ms, [&] { ran = true; });
    EXPECT_FALSE(h.cancelled());
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    loop().call_later(3ms, [this] { loop().stop(); });
    loop().run_forever();
    EXPECT_FALSE(ran);
}

TEST_P(EventLoop, TimerCancelledByAnEarlierCallbackInTheSameIterationDoesNotRun) {
    bool ran = false;
    auto when = loop().time() + 1ms;
    timer_handle victim;
    loop().call_at(when, [&] { victim.cancel(); });
    victim = loop().call_at(when, [&] { ran = true; });
    loop().call_later(3ms, [this] { loop().stop(); });
    loop().run_forever();
    EXPECT_FALSE(ran);
}

TEST_P(EventLoop, CancelAfterTimerRanIsHarmless) {
    int runs = 0;
    timer_handle h = loop().call_later(1ms, [&] {
        ++runs;
        loop().stop();
    });
    loop().run_forever();
    EXPECT_EQ(runs, 1);
    h.cancel();
    h.cancel();
    loop().call_later(2ms, [this] { loop().stop(); });
    loop().run_forever();
    EXPECT_EQ(runs, 1);
}

TEST_P(EventLoop, CancelledTimerFreesItsCaptures) {
    auto resource = std::make_shared<int>(1);
    timer_handle h = loop().call_later(1h, [resource] {});
    EXPECT_EQ(resource.use_count(), 2);
    h.cancel();
    EXPECT_EQ(resource.use_count(), 1);
}

// --- handles ------------------------------------------------------------------------------

TEST_P(EventLoop, HandleCancelledBeforeItRunsNeverRuns) {
    bool ran = false;
    handle h = loop().call_soon([&] { ran = true; });
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    loop().call_soon([this] { loop().stop(); });
    loop().run_forever();
    EXPECT_FALSE(ran);
}

TEST_P(EventLoop, CallbackCanCancelALaterCallbackOfTheSameBatch) {
    std::vector<int> order;
    handle second;
    loop().call_soon([&] {
        order.push_back(1);
        second.cancel();
    });
    second = loop().call_soon([&] { order.push_back(2); });
    loop().call_soon([&] {
        order.push_back(3);
        loop().stop();
    });
    loop().run_forever();
    EXPECT_EQ(order, (std::vector<int>{1, 3}));
}

TEST_P(EventLoop, CallbackCanCancelItsOwnHandle) {
    int runs = 0;
    handle self;
    self = loop().call_soon([&] {
        ++runs;
        self.cancel();
        loop().stop();
    });
    loop().run_forever();
    EXPECT_EQ(runs, 1);
    EXPECT_TRUE(self.cancelled());
}

TEST_P(EventLoop, DefaultHandleIsNotCancelled) {
    handle h;
    EXPECT_FALSE(h.cancelled());
    h.cancel(); // no state: a no-op
    EXPECT_FALSE(h.cancelled());
}

// --- running and stopping --------------------------------------------------------------------

TEST_P(EventLoop, StopFinishesTheCurrentBatch) {
    std::vector<std::string> order;
    loop().call_soon([&] {
        order.emplace_back("a");
        loop().stop();
        loop().call_soon([&] { order.emplace_back("c"); });
    });
    loop().call_soon([&] { order.emplace_back("b"); });
    loop().run_forever();
    EXPECT_EQ(order, (std::vector<std::string>{"a", "b"}));
    // The callback scheduled during the stopped batch waits for the next run.
    loop().call_soon([this] { loop().stop(); });
    loop().run_forever();
    EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_P(EventLoop, StopBeforeRunForeverRunsOneIteration) {
    std::vector<int> order;
    loop().call_soon([&] {
        order.push_back(1);
        loop().call_soon([&] { order.push_back(2); });
    });
    loop().stop();
    loop().run_forever();
    EXPECT_EQ(order, (std::vector<int>{1}));
    loop().stop();
    loop().run_forever();
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST_P(EventLoop, RunUntilCompleteReturnsTheResult) {
    EXPECT_EQ(loop().run_until_complete(answer()), 42);
}

TEST_P(EventLoop, RunUntilCompleteRethrowsTheTaskException) {
    EXPECT_THROW(loop().run_until_complete(fail_after_yield()), test_error);
    EXPECT_FALSE(loop().is_running());
}

TEST_P(EventLoop, RunUntilCompleteOfAFuture) {
    future<std::string> f = loop().create_future<std::string>();
    loop().call_later(1ms, [f]() mutable { f.set_result("done"); });
    EXPECT_EQ(loop().run_until_complete(f), "done");
}

TEST_P(EventLoop, RunUntilCompleteThrowsIfStoppedFirst) {
    future<int> f = loop().create_future<int>();
    loop().call_soon([this] { loop().stop(); });
    EXPECT_THROW(loop().run_until_complete(f), std::runtime_error);
    f.cancel();
}

TEST_P(EventLoop, RunUntilCompleteWhileRunningThrows) {
    run([this]() -> coro<void> {
        future<int> f = loop().create_future<int>();
        EXPECT_THROW(loop().run_until_complete(f), std::runtime_error);
        EXPECT_THROW(loop().run_forever(), std::runtime_error);
        f.set_result(1);
        co_return;
    }());
}

coro<void> set_flag(bool& flag) {
    flag = true;
    co_return;
}

TEST_P(EventLoop, RunUntilCompleteWhileRunningDoesNotStartTheCoroutine) {
    // asyncio checks that the loop is not running before it wraps the coroutine in a task.
    bool ran = false;
    run([this](bool& flag) -> coro<void> {
        EXPECT_THROW(loop().run_until_complete(set_flag(flag)), std::runtime_error);
        co_await sleep(0s);
        co_await sleep(0s);
    }(ran));
    EXPECT_FALSE(ran) << "the rejected coroutine still ran as a task";
}

TEST_P(EventLoop, CloseWhileRunningThrows) {
    run([this]() -> coro<void> {
        EXPECT_THROW(loop().close(), std::runtime_error);
        EXPECT_FALSE(loop().is_closed());
        co_return;
    }());
}

TEST_P(EventLoop, CloseIsIdempotent) {
    EXPECT_FALSE(loop().is_closed());
    loop().close();
    EXPECT_TRUE(loop().is_closed());
    loop().close();
    EXPECT_TRUE(loop().is_closed());
}

TEST_P(EventLoop, IsRunningOnlyWhileRunning) {
    EXPECT_FALSE(loop().is_running());
    bool seen_running = false;
    loop().call_soon([&] {
        seen_running = loop().is_running();
        loop().stop();
    });
    loop().run_forever();
    EXPECT_TRUE(seen_running);
    EXPECT_FALSE(loop().is_running());
}

TEST_P(EventLoop, RunForeverAfterCloseThrows) {
    loop().close();
    EXPECT_THROW(loop().run_forever(), std::runtime_error);
}

TEST_P(EventLoop, RunUntilCompleteAfterCloseThrowsAndLeaksNothing) {
    loop().close();
    bool ran = false;
    EXPECT_THROW(loop().run_until_complete(set_flag(ran)), std::runtime_error);
    EXPECT_FALSE(ran);
    // Teardown checks that the rejected coroutine's frame was freed.
}

TEST_P(EventLoop, CloseDropsPendingCallbacksAndTimers) {
    auto resource = std::make_shared<int>(1);
    bool ran = false;
    loop().call_soon([resource, &ran] { ran = true; });
    loop().call_later(1h, [resource, &ran] { ran = true; });
    EXPECT_EQ(resource.use_count(), 3);
    loop().close();
    EXPECT_FALSE(ran);
    EXPECT_EQ(resource.use_count(), 1);
}

// --- exception handler ----------------------------------------------------------------------

TEST_P(EventLoop, ExceptionHandlerSetAndGet) {
    int calls = 0;
    loop().set_exception_handler([&calls](event_loop&, const exception_context&) { ++calls; });
    ASSERT_TRUE(static_cast<bool>(loop().get_exception_handler()));
    loop().get_exception_handler()(loop(),
                                   exception_context{"x", nullptr, std::nullopt, std::nullopt});
    EXPECT_EQ(calls, 1);
    loop().call_exception_handler({"y", nullptr, std::nullopt, std::nullopt});
    EXPECT_EQ(calls, 2);
    loop().set_exception_handler(nullptr);
    EXPECT_FALSE(static_cast<bool>(loop().get_exception_handler()));
}

TEST_P(EventLoop, ThrowingCallbackIsReportedAndTheLoopGoesOn) {
    bool later_ran = false;
    loop().call_soon([] { throw test_error("boom"); });
    loop().call_soon([&] {
        later_ran = true;
        loop().stop();
    });
    loop().run_forever();
    EXPECT_TRUE(later_ran);
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].message, "Exception in callback");
    try {
        std::rethrow_exception(reports[0].exception);
    } catch (const test_error& e) {
        EXPECT_STREQ(e.what(), "boom");
    } catch (...) {
        ADD_FAILURE() << "wrong exception reported";
    }
    reports.clear();
}

TEST_P(EventLoop, ThrowingCallbackReportNamesItsHandle) {
    bool had_callback = false;
    bool had_task = true;
    loop().set_exception_handler([&](event_loop&, const exception_context& c) {
        had_callback = c.callback.has_value();
        had_task = c.task.has_value();
    });
    loop().call_soon([] { throw test_error("boom"); });
    loop().call_soon([this] { loop().stop(); });
    loop().run_forever();
    EXPECT_TRUE(had_callback);
    EXPECT_FALSE(had_task);
}

TEST_P(EventLoop, ThrowingTimerCallbackIsReported) {
    loop().call_later(1ms, [] { throw test_error("timer boom"); });
    loop().call_later(2ms, [this] { loop().stop(); });
    loop().run_forever();
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].message, "Exception in callback");
    reports.clear();
}

TEST_P(EventLoop, ThrowingExceptionHandlerIsLoggedNotPropagated) {
    log_capture captured;
    loop().set_exception_handler(
            [](event_loop&, const exception_context&) { throw test_error("handler is broken"); });
    bool later_ran = false;
    loop().call_soon([] { throw test_error("boom"); });
    loop().call_soon([&] {
        later_ran = true;
        loop().stop();
    });
    EXPECT_NO_THROW(loop().run_forever());
    EXPECT_TRUE(later_ran);
    EXPECT_TRUE(captured.contains("handler is broken"));
    EXPECT_TRUE(captured.contains("Exception in callback"));
}

TEST_P(EventLoop, DefaultExceptionHandlerLogsThroughTheSink) {
    log_capture captured;
    loop().default_exception_handler({"custom message", std::make_exception_ptr(test_error("oops")),
                                      std::nullopt, std::nullopt});
    ASSERT_EQ(captured.lines.size(), 1U);
    EXPECT_EQ(captured.lines[0].level, log_level::error);
    EXPECT_TRUE(captured.contains("custom message"));
    EXPECT_TRUE(captured.contains("oops"));
}

TEST_P(EventLoop, NoHandlerMeansTheDefaultHandler) {
    log_capture captured;
    loop().set_exception_handler(nullptr);
    loop().call_soon([] { throw test_error("unhandled boom"); });
    loop().call_soon([this] { loop().stop(); });
    loop().run_forever();
    EXPECT_TRUE(captured.contains("Exception in callback"));
    EXPECT_TRUE(captured.contains("unhandled boom"));
}

// --- debug mode and the clock ------------------------------------------------------------------

TEST_P(EventLoop, SetDebugAndGetDebug) {
    loop().set_debug(true);
    EXPECT_TRUE(loop().get_debug());
    loop().set_debug(false);
    EXPECT_FALSE(loop().get_debug());
}

TEST_P(EventLoop, DebugOptionEnablesDebugMode) {
    options.debug = true;
    make_loop();
    EXPECT_TRUE(loop().get_debug());
}

TEST_P(EventLoop, DefaultSlowCallbackDurationIs100Ms) {
    EXPECT_EQ(loop().slow_callback_duration, std::chrono::milliseconds(100));
}

TEST_P(EventLoop, SlowCallbackIsLoggedInDebugMode) {
    log_capture captured;
    loop().set_debug(true);
    loop().slow_callback_duration = 5ms;
    loop().call_soon([] { busy_wait(10ms); });
    loop().call_soon([this] { loop().stop(); });
    loop().run_forever();
    bool warned = false;
    for (const auto& l : captured.lines) {
        warned = warned || l.level == log_level::warning;
    }
    EXPECT_TRUE(warned) << "no slow-callback warning was logged";
}

TEST_P(EventLoop, SlowCallbackIsNotLoggedOutsideDebugMode) {
    log_capture captured;
    loop().set_debug(false);
    loop().slow_callback_duration = 5ms;
    loop().call_soon([] { busy_wait(10ms); });
    loop().call_soon([this] { loop().stop(); });
    loop().run_forever();
    EXPECT_TRUE(captured.lines.empty());
}

TEST_P(EventLoop, ForeignThreadCallSoonThrowsInDebugMode) {
    loop().set_debug(true);
    bool threw = false;
    bool ran = false;
    std::thread other([&] {
        try {
            loop().call_soon([&ran] { ran = true; });
        } catch (const std::runtime_error&) {
            threw = true;
        }
    });
    other.join();
    EXPECT_TRUE(threw);
    loop().call_soon([this] { loop().stop(); });
    loop().run_forever();
    EXPECT_FALSE(ran);
}

TEST_P(EventLoop, TimeIsMonotonic) {
    run([this]() -> coro<void> {
        auto t0 = loop().time();
        EXPECT_LE(t0, event_loop::clock::now());
        co_await sleep(2ms);
        auto t1 = loop().time();
        EXPECT_GE(t1 - t0, 2ms);
        co_await sleep(0s);
        EXPECT_GE(loop().time(), t1);
    }());
}

TEST_P(EventLoop, GetRunningLoopOutsideThrows) {
    EXPECT_THROW(get_running_loop(), std::runtime_error);
}

TEST_P(EventLoop, GetRunningLoopInsideTasksAndCallbacks) {
    event_loop* from_callback = nullptr;
    loop().call_soon([&] {
        from_callback = &get_running_loop();
        loop().stop();
    });
    loop().run_forever();
    EXPECT_EQ(from_callback, &loop());
    run([this]() -> coro<void> {
        EXPECT_EQ(&get_running_loop(), &loop());
        co_return;
    }());
    EXPECT_THROW(get_running_loop(), std::runtime_error);
}

TEST_P(EventLoop, BackendNameMatchesTheParameter) {
    EXPECT_EQ(loop().backend_name(), to_string(GetParam()));
}

CORELOOP_ALL_BACKENDS(EventLoop);

} // namespace
} // namespace coreloop
