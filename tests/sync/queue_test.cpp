// queue<T>: nowait errors, back-pressure, FIFO getters, cancelled getters and putters losing
// nothing, task_done/join, shutdown (Python 3.13) with waiting getters and putters, and a
// randomized producer/consumer stress test with cancellations (CPython's test_queues.py).
#include <coreloop/sync/queue.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <stdexcept>
#include <vector>

#include <coreloop/detail/frame_allocator.hpp>
#include <coreloop/event_loop.hpp>

#include "support/loop_test.hpp"
#include "sync/helpers.hpp"

namespace coreloop {
namespace {

class Queue : public test::loop_test {};

using test::ends_cancelled;
using test::spin;

coro<void> get_and_log(sync::queue<int>& q, std::vector<int>& log) {
    log.push_back(co_await q.get());
}

coro<void> put_value(sync::queue<int>& q, int v) {
    co_await q.put(v);
}

// Records how get() or put() ended: 0 value/ok, -1 shut down.
coro<void> get_or_shutdown(sync::queue<int>& q, std::vector<int>& log) {
    try {
        log.push_back(co_await q.get());
    } catch (const sync::queue_shut_down&) {
        log.push_back(-1);
    }
}

coro<void> put_or_shutdown(sync::queue<int>& q, int v, std::vector<int>& log) {
    try {
        co_await q.put(v);
        log.push_back(v);
    } catch (const sync::queue_shut_down&) {
        log.push_back(-1);
    }
}

TEST_P(Queue, NowaitOperationsAndSizes) {
    sync::queue<int> q(2);
    EXPECT_EQ(q.maxsize(), 2u);
    EXPECT_TRUE(q.empty());
    EXPECT_THROW(q.get_nowait(), sync::queue_empty);
    q.put_nowait(1);
    q.put_nowait(2);
    EXPECT_TRUE(q.full());
    EXPECT_EQ(q.qsize(), 2u);
    EXPECT_THROW(q.put_nowait(3), sync::queue_full);
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_EQ(q.get_nowait(), 2);
    sync::queue<int> unbounded;
    for (int i = 0; i < 1000; ++i) {
        unbounded.put_nowait(i);
    }
    EXPECT_FALSE(unbounded.full());
}

TEST_P(Queue, GetWaitsForPutAndGettersAreFifo) {
    run([]() -> coro<void> {
        sync::queue<int> q;
        std::vector<int> log;
        task<> a = create_task(get_and_log(q, log));
        task<> b = create_task(get_and_log(q, log));
        co_await spin();
        co_await q.put(10);
        co_await q.put(20);
        co_await a;
        co_await b;
        EXPECT_EQ(log, (std::vector<int>{10, 20}));
    }());
}

TEST_P(Queue, PutWaitsWhileFull) {
    run([]() -> coro<void> {
        sync::queue<int> q(1);
        co_await q.put(1);
        task<> p = create_task(put_value(q, 2));
        co_await spin(2);
        EXPECT_FALSE(p.done());
        EXPECT_EQ(co_await q.get(), 1);
        co_await p;
        EXPECT_EQ(q.get_nowait(), 2);
    }());
}

TEST_P(Queue, CancelledGetterBeforeWakeTakesNothing) {
    run([]() -> coro<void> {
        sync::queue<int> q;
        std::vector<int> log;
        task<> a = create_task(get_and_log(q, log));
        task<> b = create_task(get_and_log(q, log));
        co_await spin();
        a.cancel();
        EXPECT_TRUE(co_await ends_cancelled(a));
        q.put_nowait(7);
        co_await b;
        EXPECT_EQ(log, (std::vector<int>{7}));
    }());
}

TEST_P(Queue, WokenThenCancelledGetterWakesTheNext) {
    // CPython's test_cancelled_getters_not_being_held_in_self_getters / test_why_are_getters
    // _waiting: the item stays in the queue and the next getter gets it.
    run([]() -> coro<void> {
        sync::queue<int> q;
        std::vector<int> log;
        task<> a = create_task(get_and_log(q, log));
        task<> b = create_task(get_and_log(q, log));
        co_await spin();
        q.put_nowait(7); // wakes a
        a.cancel();      // before a runs
        EXPECT_TRUE(co_await ends_cancelled(a));
        co_await b;
        EXPECT_EQ(log, (std::vector<int>{7}));
        EXPECT_TRUE(q.empty());
    }());
}

TEST_P(Queue, WokenThenCancelledPutterWakesTheNext) {
    run([]() -> coro<void> {
        sync::queue<int> q(1);
        q.put_nowait(1);
        task<> a = create_task(put_value(q, 2));
        task<> b = create_task(put_value(q, 3));
        co_await spin();
        EXPECT_EQ(q.get_nowait(), 1); // wakes a
        a.cancel();
        EXPECT_TRUE(co_await ends_cancelled(a));
        co_await b; // took the slot a did not use
        EXPECT_EQ(q.get_nowait(), 3);
        EXPECT_TRUE(q.empty());
    }());
}

TEST_P(Queue, GetterRequeuesWhenTheItemWasTakenFirst) {
    // asyncio's loop in get(): a woken getter finding the queue empty waits again.
    run([]() -> coro<void> {
        sync::queue<int> q;
        std::vector<int> log;
        task<> a = create_task(get_and_log(q, log));
        co_await spin();
        q.put_nowait(1);              // wakes a
        EXPECT_EQ(q.get_nowait(), 1); // taken before a runs
        co_await spin(2);
        EXPECT_FALSE(a.done());
        q.put_nowait(2);
        co_await a;
        EXPECT_EQ(log, (std::vector<int>{2}));
    }());
}

coro<void> consume_and_mark(sync::queue<int>& q, int n, int& sum) {
    for (int i = 0; i < n; ++i) {
        sum += co_await q.get();
        co_await spin();
        q.task_done();
    }
}

TEST_P(Queue, JoinReturnsAfterMatchingTaskDone) {
    run([]() -> coro<void> {
        sync::queue<int> q;
        co_await q.join(); // nothing unfinished: at once
        EXPECT_THROW(q.task_done(), std::invalid_argument);
        int sum = 0;
        for (int i = 1; i <= 5; ++i) {
            q.put_nowait(i);
        }
        task<> c = create_task(consume_and_mark(q, 5, sum));
        co_await q.join();
        EXPECT_EQ(sum, 15);
        EXPECT_TRUE(c.done());
        EXPECT_THROW(q.task_done(), std::invalid_argument);
        co_await c;
    }());
}

TEST_P(Queue, ShutdownLetsGettersDrainThenFailsThem) {
    run([]() -> coro<void> {
        sync::queue<int> q(1);
        std::vector<int> gets;
        std::vector<int> puts;
        q.put_nowait(1);
        task<> p = create_task(put_or_shutdown(q, 2, puts)); // blocked: full
        co_await spin();
        q.shutdown();
        EXPECT_THROW(q.put_nowait(3), sync::queue_shut_down);
        co_await p;
        EXPECT_EQ(puts, (std::vector<int>{-1}));
        task<> g1 = create_task(get_or_shutdown(q, gets));
        task<> g2 = create_task(get_or_shutdown(q, gets));
        co_await g1;
        co_await g2;
        EXPECT_EQ(gets, (std::vector<int>{1, -1}));
        EXPECT_THROW(q.get_nowait(), sync::queue_shut_down);
        q.task_done();
        co_await q.join();
    }());
}

TEST_P(Queue, ShutdownWakesBlockedGetters) {
    run([]() -> coro<void> {
        sync::queue<int> q;
        std::vector<int> gets;
        task<> g1 = create_task(get_or_shutdown(q, gets));
        task<> g2 = create_task(get_or_shutdown(q, gets));
        co_await spin();
        q.shutdown();
        co_await g1;
        co_await g2;
        EXPECT_EQ(gets, (std::vector<int>{-1, -1}));
    }());
}

coro<void> join_and_flag(sync::queue<int>& q, bool& joined) {
    co_await q.join();
    joined = true;
}

TEST_P(Queue, ImmediateShutdownDrainsAndReleasesJoin) {
    run([]() -> coro<void> {
        sync::queue<int> q(2);
        std::vector<int> gets;
        std::vector<int> puts;
        bool joined = false;
        q.put_nowait(1);
        q.put_nowait(2);
        task<> p = create_task(put_or_shutdown(q, 3, puts));
        task<> j = create_task(join_and_flag(q, joined));
        co_await spin();
        q.shutdown(true);
        EXPECT_TRUE(q.empty());
        task<> g = create_task(get_or_shutdown(q, gets));
        co_await p;
        co_await g;
        co_await j;
        EXPECT_EQ(puts, (std::vector<int>{-1}));
        EXPECT_EQ(gets, (std::vector<int>{-1}));
        EXPECT_TRUE(joined);
        EXPECT_THROW(q.task_done(), std::invalid_argument);
    }());
}

TEST_P(Queue, ImmediateShutdownKeepsJoinWhileGotItemsAreUnfinished) {
    run([]() -> coro<void> {
        sync::queue<int> q;
        bool joined = false;
        q.put_nowait(1);
        q.put_nowait(2);
        EXPECT_EQ(q.get_nowait(), 1); // got but not done
        task<> j = create_task(join_and_flag(q, joined));
        co_await spin();
        q.shutdown(true); // drops 2: one unfinished left
        co_await spin(2);
        EXPECT_FALSE(joined);
        q.task_done();
        co_await j;
        EXPECT_TRUE(joined);
    }());
}

// --- randomized stress --------------------------------------------------------------------

struct stress_state {
    sync::queue<int> q{4};
    std::vector<int> received;
    std::vector<int> sent;
};

coro<void> producer(stress_state& s, int first, int count) {
    for (int v = first; v < first + count; ++v) {
        try {
            co_await s.q.put(v);
            s.sent.push_back(v);
        } catch (const cancelled_error&) {
            co_return; // v was not added
        }
    }
}

coro<void> consumer(stress_state& s) {
    for (;;) {
        try {
            s.received.push_back(co_await s.q.get());
        } catch (const sync::queue_shut_down&) {
            co_return;
        } catch (const cancelled_error&) {
            co_return; // took nothing
        }
    }
}

TEST_P(Queue, StressNoItemLostOrDuplicatedUnderCancellation) {
    run(
            []() -> coro<void> {
                std::mt19937 rng(12345);
                stress_state s;
                std::vector<task<>> producers;
                std::vector<task<>> consumers;
                for (int p = 0; p < 16; ++p) {
                    producers.push_back(create_task(producer(s, p * 1000, 200)));
                }
                for (int c = 0; c < 16; ++c) {
                    consumers.push_back(create_task(consumer(s)));
                }
                for (int step = 0; step < 3000; ++step) {
                    co_await spin();
                    const unsigned pick = rng() % 256;
                    if (pick < 16) {
                        producers[pick].cancel();
                    } else if (pick < 24) {
                        consumers[pick - 16].cancel();
                    }
                    // Replace finished consumers so the queue keeps draining.
                    for (auto& c : consumers) {
                        if (c.done()) {
                            co_await c; // the consumer caught its cancellation and returned
                            c = create_task(consumer(s));
                        }
                    }
                    EXPECT_LE(s.q.qsize(), s.q.maxsize());
                }
                for (auto& p : producers) {
                    co_await test::ends_cancelled(p);
                }
                s.q.shutdown();
                for (auto& c : consumers) {
                    co_await test::ends_cancelled(c);
                }
                // Whatever no consumer took is still in the queue.
                while (!s.q.empty()) {
                    s.received.push_back(s.q.get_nowait());
                }
                std::sort(s.sent.begin(), s.sent.end());
                std::sort(s.received.begin(), s.received.end());
                EXPECT_EQ(s.sent, s.received);
                EXPECT_GT(s.sent.size(), 100u);
            }(),
            std::chrono::seconds(2));
}

TEST_P(Queue, WaitingAllocatesNoFrame) {
    // A getter woken for an item that a get_nowait takes first waits again, a putter waits for
    // room: neither allocates (asyncio's repeated waits live in the awaiter).
    run([]() -> coro<void> {
        sync::queue<int> q(1);
        std::vector<int> log;
        // One task frame, and nothing more while it waits.
        const auto before = detail::live_frames() + 1;
        task<> a = create_task(get_and_log(q, log));
        co_await spin();
        EXPECT_EQ(detail::live_frames(), before);
        q.put_nowait(1);              // wakes a...
        EXPECT_EQ(q.get_nowait(), 1); // ...but the item is gone before a runs
        co_await spin(2);
        EXPECT_EQ(detail::live_frames(), before);
        EXPECT_TRUE(log.empty());
        q.put_nowait(2);
        co_await spin(); // a got 2
        EXPECT_EQ(log, (std::vector<int>{2}));
        q.put_nowait(3);
        task<> p = create_task(put_value(q, 4));
        co_await spin(); // the queue is full: p waits
        EXPECT_EQ(detail::live_frames(), before + 1);
        co_await spin(2);
        EXPECT_EQ(detail::live_frames(), before + 1);
        EXPECT_EQ(q.get_nowait(), 3);
        co_await p;
        EXPECT_EQ(q.get_nowait(), 4);
        co_await a;
    }());
}

CORELOOP_ALL_BACKENDS(Queue);

} // namespace
} // namespace coreloop
