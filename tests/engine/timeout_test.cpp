#include <coreloop/timeout.hpp>

#include <optional>
#include <string>

#include <coreloop/sleep.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class Timeout : public test::loop_test {};

coro<void> sleep_forever(timeout&) {
    co_await sleep(1h);
}

// True if `e` is a timeout_error whose nested cause is a cancelled_error.
bool caused_by_cancel(const timeout_error& e) {
    try {
        std::rethrow_if_nested(e);
    } catch (const cancelled_error&) {
        return true;
    } catch (...) {
    }
    return false;
}

TEST_P(Timeout, ExpiryRaisesTimeoutErrorCausedByTheCancel) {
    run([]() -> coro<void> {
        bool expired = false;
        try {
            co_await with_timeout(10ms, [&expired](timeout& t) -> coro<void> {
                try {
                    co_await sleep(1h);
                } catch (const cancelled_error&) {
                    expired = t.expired();
                    throw;
                }
            });
            ADD_FAILURE() << "no timeout_error";
        } catch (const timeout_error& e) {
            EXPECT_TRUE(caused_by_cancel(e));
        }
        EXPECT_TRUE(expired);
        EXPECT_EQ(current_task().cancelling(), 0U) << "the task is not left cancelled";
        co_await sleep(0ms); // and it can still await
    }());
}

TEST_P(Timeout, BodyFinishingInTimeReturnsItsValue) {
    int value = run([]() -> coro<int> {
        co_return co_await with_timeout(1h, [](timeout& t) -> coro<int> {
            co_await sleep(1ms);
            EXPECT_FALSE(t.expired());
            co_return 42;
        });
    }());
    EXPECT_EQ(value, 42);
}

TEST_P(Timeout, NoDeadlineNeverExpires) {
    int value = run([]() -> coro<int> {
        co_return co_await with_timeout(std::nullopt, [](timeout& t) -> coro<int> {
            EXPECT_FALSE(t.when().has_value());
            co_await sleep(5ms);
            co_return 1;
        });
    }());
    EXPECT_EQ(value, 1);
}

TEST_P(Timeout, OuterCancelPassesThroughAndDoesNotExpire) {
    run([this]() -> coro<void> {
        std::optional<bool> expired;
        auto inner = [](std::optional<bool>& seen) -> coro<void> {
            co_await with_timeout(1h, [&seen](timeout& t) -> coro<void> {
                try {
                    co_await sleep(1h);
                } catch (const cancelled_error&) {
                    seen = t.expired();
                    throw;
                }
            });
        };
        task<void> t = create_task(inner(expired));
        co_await sleep(1ms);
        t.cancel("from outside");
        try {
            co_await t;
            ADD_FAILURE() << "the task was not cancelled";
        } catch (const cancelled_error& e) {
            EXPECT_EQ(e.message(), "from outside");
        }
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(expired, std::optional<bool>(false));
        (void)this;
    }());
}

TEST_P(Timeout, NestedEqualDeadlinesOnlyTheOutermostRaises) {
    run([this]() -> coro<void> {
        auto when = loop().time() + 10ms;
        bool inner_expired = false;
        bool outer_expired = false;
        bool inner_saw_cancel = false;
        try {
            co_await with_timeout_at(when, [&](timeout& outer) -> coro<void> {
                try {
                    co_await with_timeout_at(when, [&](timeout& inner) -> coro<void> {
                        try {
                            co_await sleep(1h);
                        } catch (const cancelled_error&) {
                            inner_expired = inner.expired();
                            throw;
                        }
                    });
                } catch (const cancelled_error&) {
                    inner_saw_cancel = true; // the inner scope did not claim the cancel
                    outer_expired = outer.expired();
                    throw;
                }
            });
            ADD_FAILURE() << "no timeout_error";
        } catch (const timeout_error&) {
        }
        EXPECT_TRUE(inner_saw_cancel);
        EXPECT_TRUE(inner_expired);
        EXPECT_TRUE(outer_expired);
    }());
}

TEST_P(Timeout, OuterExpiringFirstIsTheOuterOnesTimeout) {
    run([]() -> coro<void> {
        bool inner_raised_timeout = false;
        try {
            co_await with_timeout(10ms, [&](timeout&) -> coro<void> {
                try {
                    co_await with_timeout(1h, sleep_forever);
                } catch (const timeout_error&) {
                    inner_raised_timeout = true;
                }
            });
            ADD_FAILURE() << "no timeout_error";
        } catch (const timeout_error&) {
        }
        EXPECT_FALSE(inner_raised_timeout);
    }());
}

TEST_P(Timeout, InnerExpiringFirstIsCaughtInsideTheOuter) {
    run([]() -> coro<void> {
        bool outer_expired = true;
        co_await with_timeout(1h, [&](timeout& outer) -> coro<void> {
            try {
                co_await with_timeout(5ms, sleep_forever);
                ADD_FAILURE() << "no timeout_error";
            } catch (const timeout_error&) {
            }
            outer_expired = outer.expired();
        });
        EXPECT_FALSE(outer_expired);
    }());
}

TEST_P(Timeout, RescheduleMovesTheDeadline) {
    run([this]() -> coro<void> {
        auto start = loop().time();
        try {
            co_await with_timeout(1h, [this](timeout& t) -> coro<void> {
                t.reschedule(loop().time() + 10ms);
                EXPECT_TRUE(t.when().has_value());
                co_await sleep(1h);
            });
            ADD_FAILURE() << "no timeout_error";
        } catch (const timeout_error&) {
        }
        EXPECT_GE(loop().time() - start, 10ms);
        EXPECT_LT(loop().time() - start, 1s);
    }());
}

TEST_P(Timeout, RescheduleToNoneDisablesIt) {
    run([this]() -> coro<void> {
        co_await with_timeout(5ms, [this](timeout& t) -> coro<void> {
            t.reschedule(std::nullopt);
            co_await sleep(20ms);
            EXPECT_FALSE(t.expired());
            (void)this;
        });
    }());
}

TEST_P(Timeout, RescheduleIntoThePastExpiresOnTheNextIteration) {
    run([this]() -> coro<void> {
        EXPECT_THROW(co_await with_timeout(1h,
                                           [this](timeout& t) -> coro<void> {
                                               t.reschedule(loop().time() - 1s);
                                               co_await sleep(0ms);
                                               ADD_FAILURE() << "resumed after an expired deadline";
                                           }),
                     timeout_error);
    }());
}

TEST_P(Timeout, ZeroDelayExpiresEvenIfTheBodyOnlyYields) {
    run([]() -> coro<void> {
        EXPECT_THROW(co_await with_timeout(0s,
                                           [](timeout&) -> coro<void> {
                                               co_await sleep(0ms);
                                               ADD_FAILURE() << "resumed after an expired deadline";
                                           }),
                     timeout_error);
        EXPECT_THROW(
                co_await with_timeout(-1s, [](timeout&) -> coro<void> { co_await sleep(0ms); }),
                timeout_error);
    }());
}

TEST_P(Timeout, ZeroDelayWithABodyThatNeverSuspendsReturnsNormally) {
    int value = run([]() -> coro<int> {
        co_return co_await with_timeout(0s, [](timeout&) -> coro<int> { co_return 5; });
    }());
    EXPECT_EQ(value, 5);
}

TEST_P(Timeout, UsableInCleanupAfterACaughtCancel) {
    run([]() -> coro<void> {
        auto body = []() -> coro<std::string> {
            bool cancelled = false;
            try {
                co_await sleep(1h);
            } catch (const cancelled_error&) {
                cancelled = true;
            }
            EXPECT_TRUE(cancelled);
            EXPECT_EQ(current_task().cancelling(), 1U);
            std::string outcome;
            try {
                co_await with_timeout(5ms, sleep_forever);
            } catch (const timeout_error&) {
                outcome = "cleanup timed out";
            }
            EXPECT_EQ(current_task().cancelling(), 1U) << "the outer cancel is still pending";
            co_return outcome;
        };
        task<std::string> t = create_task(body());
        co_await sleep(1ms);
        t.cancel();
        EXPECT_EQ(co_await t, "cleanup timed out");
    }());
}

TEST_P(Timeout, OtherErrorsOfAnExpiredBodyPassThrough) {
    run([]() -> coro<void> {
        EXPECT_THROW(co_await with_timeout(5ms,
                                           [](timeout&) -> coro<void> {
                                               try {
                                                   co_await sleep(1h);
                                               } catch (const cancelled_error&) {
                                               }
                                               throw std::logic_error("cleanup failed");
                                           }),
                     std::logic_error);
    }());
}

TEST_P(Timeout, RescheduleOutsideTheScopeIsAnError) {
    timeout t(std::nullopt);
    EXPECT_THROW(t.reschedule(std::nullopt), std::runtime_error);
    EXPECT_FALSE(t.expired());
}

CORELOOP_ALL_BACKENDS(Timeout);

} // namespace
} // namespace coreloop
