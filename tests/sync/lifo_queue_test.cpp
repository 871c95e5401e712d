// lifo_queue<T>: last in, first out, with the queue API and back-pressure.
#include <coreloop/sync/lifo_queue.hpp>

#include <vector>

#include <coreloop/event_loop.hpp>

#include "support/loop_test.hpp"
#include "sync/helpers.hpp"

namespace coreloop {
namespace {

class LifoQueue : public test::loop_test {};

coro<void> put_value(sync::lifo_queue<int>& q, int v) {
    co_await q.put(v);
}

TEST_P(LifoQueue, LastInFirstOut) {
    run([]() -> coro<void> {
        sync::lifo_queue<int> q;
        for (int v : {1, 2, 3}) {
            co_await q.put(v);
        }
        EXPECT_EQ(co_await q.get(), 3);
        EXPECT_EQ(co_await q.get(), 2);
        EXPECT_EQ(co_await q.get(), 1);
        EXPECT_THROW(q.get_nowait(), sync::queue_empty);
    }());
}

TEST_P(LifoQueue, PutWaitsWhileFull) {
    run([]() -> coro<void> {
        sync::lifo_queue<int> q(2);
        co_await q.put(1);
        co_await q.put(2);
        task<> p = create_task(put_value(q, 3));
        co_await test::spin(2);
        EXPECT_FALSE(p.done());
        EXPECT_EQ(co_await q.get(), 2);
        co_await p;
        EXPECT_EQ(q.get_nowait(), 3);
        EXPECT_EQ(q.get_nowait(), 1);
        for (int i = 0; i < 3; ++i) {
            q.task_done();
        }
        co_await q.join();
    }());
}

CORELOOP_ALL_BACKENDS(LifoQueue);

} // namespace
} // namespace coreloop
