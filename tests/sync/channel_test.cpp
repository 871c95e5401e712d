// make_channel: values cross shards in order through any capacity (1 never deadlocks, Glommio
// #555), send waits for credit and recv for values, close from either side and from another
// shard, cancellation of waiting send/recv, and engine shutdown with values buffered or a
// sender blocked, on more shards than CPUs and on both backends.
#include <coreloop/sync/channel.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include <coreloop/engine.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/submit_to.hpp>
#include <coreloop/task.hpp>

#include "support/engine_test.hpp"
#include "support/sanitizers.hpp"
#include "sync/helpers.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

#ifdef CORELOOP_TEST_SANITIZED
constexpr int many = 10'000;
#else
constexpr int many = 100'000;
#endif

using Channel = test::engine_test;
using sync::channel_receiver;
using sync::channel_sender;
using sync::make_channel;
using sync::queue_shut_down;
using test::ends_cancelled;

// Counts live instances, and those destroyed off shard 0 (the sender's in these tests) while
// still holding a value: a value never received must die on the shard that made it.
struct probe {
    static inline std::atomic<int> live{0};
    static inline std::atomic<int> freed_off_home{0};
    explicit probe(int v) noexcept
        : value(v) {
        ++live;
    }
    probe(probe&& other) noexcept
        : value(std::exchange(other.value, -1)) {
        ++live;
    }
    probe& operator=(probe&&) = delete;
    ~probe() {
        if (value >= 0 && this_shard_id() != 0) {
            ++freed_off_home;
        }
        --live;
    }
    int value;
};

// Sends 0 .. n-1, then closes (explicitly: a task's frame, and the sender in it, may live on
// as long as someone holds the task).
coro<void> send_range(channel_sender<int> tx, int n) {
    for (int i = 0; i < n; ++i) {
        co_await tx.send(i);
    }
    tx.close();
}

// Receives until the channel shuts down: the count, or -1 - i if value i was out of order.
coro<long> drain_in_order(channel_receiver<int>& rx) {
    long n = 0;
    try {
        for (;;) {
            int v = co_await rx.recv();
            if (v != n) {
                co_return -1 - n;
            }
            ++n;
        }
    } catch (const queue_shut_down&) {
    }
    co_return n;
}

coro<long> drain_owned(channel_receiver<int> rx) {
    co_return co_await drain_in_order(rx);
}

coro<int> recv_one(channel_receiver<int>& rx) {
    co_return co_await rx.recv();
}

coro<void> send_one(channel_sender<int>& tx, int v) {
    co_await tx.send(v);
}

// Sends to rx's peer and receives from rx at once: both directions of a pair of shards.
coro<long> flood(channel_sender<int> tx, channel_receiver<int> rx, int n) {
    task<void> sending = create_task(send_range(std::move(tx), n));
    long got = co_await drain_in_order(rx);
    co_await sending;
    co_return got;
}

// Holds rx (with whatever arrives) until cancelled by the engine's stop.
coro<void> hold(channel_receiver<probe> rx) {
    co_await sleep(1h);
    (void)rx.try_recv();
}

// Sends until cancelled (blocked once the channel is full).
coro<void> send_forever(channel_sender<probe> tx) {
    for (int i = 0;; ++i) {
        co_await tx.send(probe(i));
    }
}

// Awaits a submission as a coro, so a task can run it (and be cancelled).
coro<int> await_submission(submission<int> s) {
    co_return co_await std::move(s);
}

// Whether a task on this shard waiting in recv() ends with cancelled_error when cancelled.
coro<bool> cancel_a_waiting_recv(channel_receiver<int>& rx) {
    task<int> waiting = create_task(recv_one(rx));
    co_await test::spin(3);
    waiting.cancel();
    co_return co_await ends_cancelled(std::move(waiting));
}

// Sends n values through a channel of `capacity` from shard 0 to shard 1: how many arrived in
// order (see drain_in_order).
long count_through(engine& e, std::size_t capacity, int n) {
    return e.run([capacity, n]() -> coro<long> {
        auto [tx, rx] = make_channel<int>(0, 1, capacity);
        EXPECT_EQ(tx.capacity(), capacity);
        auto received =
                submit_to(1, [r = std::move(rx)]() mutable { return drain_owned(std::move(r)); });
        co_await send_range(std::move(tx), n);
        co_return co_await std::move(received);
    });
}

// Capacity 1 is a round trip per value: fewer values, so the test stays in its time limit on a
// busy 2-CPU machine.
TEST_P(Channel, ValuesArriveInOrderThroughCapacityOne) {
    engine e(options(2));
    EXPECT_EQ(count_through(e, 1, many / 5), many / 5);
}

TEST_P(Channel, ValuesArriveInOrderThroughCapacityTwo) {
    engine e(options(2));
    EXPECT_EQ(count_through(e, 2, many / 5), many / 5);
}

TEST_P(Channel, ValuesArriveInOrderThroughCapacitySixtyFour) {
    engine e(options(2));
    EXPECT_EQ(count_through(e, 64, many), many);
}

TEST_P(Channel, EndpointsMadeOnAThirdShardWorkWithMoreShardsThanCpus) {
    engine e(options(3)); // CI has 2 CPUs
    long got = e.run([]() -> coro<long> {
        auto [tx, rx] = make_channel<int>(1, 2, 4);
        auto received =
                submit_to(2, [r = std::move(rx)]() mutable { return drain_owned(std::move(r)); });
        auto sent = submit_to(
                1, [t = std::move(tx)]() mutable { return send_range(std::move(t), many / 10); });
        co_await std::move(sent);
        co_return co_await std::move(received);
    });
    EXPECT_EQ(got, many / 10);
}

TEST_P(Channel, CapacityOneInBothDirectionsAtOnceNeverDeadlocks) {
    engine e(options(2));
    auto got = e.run([]() -> coro<std::pair<long, long>> {
        auto [tx01, rx01] = make_channel<int>(0, 1, 1);
        auto [tx10, rx10] = make_channel<int>(1, 0, 1);
        auto there = submit_to(1, [t = std::move(tx10), r = std::move(rx01)]() mutable {
            return flood(std::move(t), std::move(r), many / 10);
        });
        long here = co_await flood(std::move(tx01), std::move(rx10), many / 10);
        co_return std::pair<long, long>(here, co_await std::move(there));
    });
    EXPECT_EQ(got.first, many / 10);
    EXPECT_EQ(got.second, many / 10);
}

TEST_P(Channel, BothEndsOnOneShard) {
    engine e(options(1));
    long got = e.run([]() -> coro<long> {
        auto [tx, rx] = make_channel<int>(0, 0, 1);
        task<void> sending = create_task(send_range(std::move(tx), 1000));
        long n = co_await drain_in_order(rx);
        co_await sending;
        co_return n;
    });
    EXPECT_EQ(got, 1000);
}

TEST_P(Channel, SendWaitsWhileFullAndResumesWhenTheReceiverTakes) {
    engine e(options(2));
    e.run([]() -> coro<void> {
        auto [tx, rx] = make_channel<int>(0, 1, 2);
        EXPECT_TRUE(tx.try_send(1));
        EXPECT_TRUE(tx.try_send(2));
        int three = 3;
        EXPECT_FALSE(tx.try_send(std::move(three)));
        EXPECT_EQ(three, 3); // not moved from
        task<void> blocked = create_task(send_one(tx, 3));
        co_await sleep(5ms);
        EXPECT_FALSE(blocked.done());
        EXPECT_EQ(co_await submit_to(1, [&rx] { return recv_one(rx); }), 1);
        co_await blocked; // the credit came home
        EXPECT_EQ(co_await submit_to(1, [&rx] { return recv_one(rx); }), 2);
        EXPECT_EQ(co_await submit_to(1, [&rx] { return recv_one(rx); }), 3);
        // rx dies here, on shard 0: its close travels to shard 1.
    });
}

TEST_P(Channel, RecvWaitsWhileEmptyAndTryRecvDoesNot) {
    engine e(options(2));
    e.run([]() -> coro<void> {
        auto [tx, rx] = make_channel<int>(0, 1, 4);
        EXPECT_EQ(co_await submit_to(1, [&rx] { return rx.try_recv(); }), std::nullopt);
        auto got = submit_to(1, [&rx] { return recv_one(rx); });
        co_await sleep(5ms);
        EXPECT_FALSE(got.done());
        co_await tx.send(7);
        EXPECT_EQ(co_await std::move(got), 7);
        EXPECT_TRUE(tx.try_send(8));
        std::optional<int> eight;
        for (int i = 0; i < 1000 && !eight; ++i) {
            eight = co_await submit_to(1, [&rx] { return rx.try_recv(); });
        }
        EXPECT_EQ(eight, 8);
    });
}

TEST_P(Channel, SenderCloseDeliversWhatWasSentThenShutsDown) {
    engine e(options(2));
    e.run([]() -> coro<void> {
        auto [tx, rx] = make_channel<int>(0, 1, 4);
        auto waiting = submit_to(1, [&rx] { return drain_in_order(rx); });
        co_await sleep(2ms); // the receiver waits on an empty channel
        EXPECT_TRUE(tx.try_send(0));
        EXPECT_TRUE(tx.try_send(1));
        tx.close();
        EXPECT_TRUE(tx.is_closed());
        EXPECT_THROW((void)tx.try_send(2), queue_shut_down);
        EXPECT_EQ(co_await std::move(waiting), 2);
        EXPECT_TRUE(co_await submit_to(1, [&rx] { return rx.is_closed(); }));
        EXPECT_THROW(co_await submit_to(1, [&rx] { return rx.try_recv(); }), queue_shut_down);
    });
}

TEST_P(Channel, ReceiverCloseDropsBufferedValuesAtHomeAndStopsSenders) {
    probe::live = 0;
    probe::freed_off_home = 0;
    engine e(options(2));
    e.run([]() -> coro<void> {
        auto [tx, rx] = make_channel<probe>(0, 1, 2);
        co_await tx.send(probe(1));
        co_await tx.send(probe(2));
        task<void> blocked = create_task(
                [](channel_sender<probe>& s) -> coro<void> { co_await s.send(probe(3)); }(tx));
        co_await sleep(2ms);
        co_await submit_to(1, [&rx] { rx.close(); });
        bool shut_down = false;
        try {
            co_await blocked;
        } catch (const queue_shut_down&) {
            shut_down = true;
        }
        EXPECT_TRUE(shut_down);
        EXPECT_TRUE(tx.is_closed());
        EXPECT_THROW(co_await tx.send(probe(4)), queue_shut_down);
    });
    EXPECT_EQ(probe::live.load(), 0);
    EXPECT_EQ(probe::freed_off_home.load(), 0);
}

TEST_P(Channel, ACancelledWaitingSendSendsNothing) {
    engine e(options(2));
    e.run([]() -> coro<void> {
        auto [tx, rx] = make_channel<int>(0, 1, 1);
        EXPECT_TRUE(tx.try_send(0));
        task<void> blocked = create_task(send_one(tx, 99));
        co_await sleep(2ms);
        blocked.cancel();
        EXPECT_TRUE(co_await ends_cancelled(std::move(blocked)));
        auto drained = submit_to(1, [&rx] { return drain_in_order(rx); });
        co_await send_one(tx, 1); // waits for 0 to be received
        tx.close();
        EXPECT_EQ(co_await std::move(drained), 2);
    });
}

TEST_P(Channel, ACancelledWaitingRecvTakesNothing) {
    engine e(options(2));
    e.run([]() -> coro<void> {
        auto [tx, rx] = make_channel<int>(0, 1, 1);
        EXPECT_TRUE(co_await submit_to(1, [&rx] { return cancel_a_waiting_recv(rx); }));
        co_await tx.send(5);
        EXPECT_EQ(co_await submit_to(1, [&rx] { return recv_one(rx); }), 5);
    });
}

TEST_P(Channel, CancellingTheAwaitingTaskAcrossShardsEndsTheRecv) {
    engine e(options(2));
    e.run([]() -> coro<void> {
        auto [tx, rx] = make_channel<int>(0, 1, 1);
        task<int> waiting =
                create_task(await_submission(submit_to(1, [&rx] { return recv_one(rx); })));
        co_await sleep(2ms);
        waiting.cancel();
        EXPECT_TRUE(co_await ends_cancelled(std::move(waiting)));
        co_await tx.send(6);
        EXPECT_EQ(co_await submit_to(1, [&rx] { return recv_one(rx); }), 6);
    });
}

TEST_P(Channel, AnEndpointDestroyedOnAnotherShardClosesOnItsOwn) {
    engine e(options(3));
    long got = e.run([]() -> coro<long> {
        auto [tx, rx] = make_channel<int>(1, 2, 4);
        auto received =
                submit_to(2, [r = std::move(rx)]() mutable { return drain_owned(std::move(r)); });
        // A plain function: it runs on shard 1, and its closure (with tx) dies back here.
        // (Made outside the co_await: GCC 12 destroys a temporary inside one twice.)
        auto sent = submit_to(1, [t = std::move(tx)]() mutable {
            for (int i = 0; i < 3; ++i) {
                EXPECT_TRUE(t.try_send(i));
            }
        });
        co_await std::move(sent);
        co_return co_await std::move(received);
    });
    EXPECT_EQ(got, 3);
}

TEST_P(Channel, EngineStopsWithValuesStillBuffered) {
    probe::live = 0;
    probe::freed_off_home = 0;
    engine e(options(2));
    e.run([]() -> coro<void> {
        auto [tx, rx] = make_channel<probe>(0, 1, 8);
        (void)submit_to(1, [r = std::move(rx)]() mutable { return hold(std::move(r)); });
        for (int i = 0; i < 8; ++i) {
            EXPECT_TRUE(tx.try_send(probe(i)));
        }
        co_await sleep(2ms);
    });
    EXPECT_EQ(probe::live.load(), 0);
    EXPECT_EQ(probe::freed_off_home.load(), 0);
}

TEST_P(Channel, EngineStopsWithASenderBlocked) {
    probe::live = 0;
    engine e(options(3));
    e.run([]() -> coro<void> {
        auto [tx, rx] = make_channel<probe>(1, 2, 1);
        (void)submit_to(2, [r = std::move(rx)]() mutable { return hold(std::move(r)); });
        (void)submit_to(1, [t = std::move(tx)]() mutable { return send_forever(std::move(t)); });
        co_await sleep(5ms);
    });
    EXPECT_EQ(probe::live.load(), 0);
}

TEST_P(Channel, EndpointsOutlivingTheEngineCloseQuietly) {
    // (A unique_ptr: GCC 12 sees a std::optional of the pair as maybe-uninitialized.)
    std::unique_ptr<std::pair<channel_sender<int>, channel_receiver<int>>> kept;
    {
        engine e(options(2));
        e.run([&kept]() -> coro<void> {
            kept = std::make_unique<std::pair<channel_sender<int>, channel_receiver<int>>>(
                    make_channel<int>(0, 1, 2));
            co_return;
        });
    }
    kept.reset();
}

TEST_P(Channel, BadArgumentsAreRefused) {
    engine e(options(2));
    e.run([]() -> coro<void> {
        EXPECT_THROW((void)make_channel<int>(0, 1, 0), std::invalid_argument);
        EXPECT_THROW((void)make_channel<int>(0, 2, 1), std::out_of_range);
        channel_sender<int> empty;
        EXPECT_TRUE(empty.is_closed());
        empty.close(); // nothing to close
        co_return;
    });
}

} // namespace

CORELOOP_ENGINE_BACKENDS(Channel);

} // namespace coreloop
