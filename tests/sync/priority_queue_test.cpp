// priority_queue<T, Cmp>: smallest first, a custom order, and equal priorities coming out in
// insertion order (our documented choice: asyncio's heapq is not stable).
#include <coreloop/sync/priority_queue.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <coreloop/event_loop.hpp>

#include "support/loop_test.hpp"
#include "sync/helpers.hpp"

namespace coreloop {
namespace {

class PriorityQueue : public test::loop_test {};

struct job {
    int priority;
    std::string name;
};

struct by_priority {
    bool operator()(const job& a, const job& b) const { return a.priority < b.priority; }
};

TEST_P(PriorityQueue, SmallestComesOutFirst) {
    run([]() -> coro<void> {
        sync::priority_queue<int> q;
        for (int v : {5, 1, 4, 2, 3}) {
            co_await q.put(v);
        }
        std::vector<int> out;
        while (!q.empty()) {
            out.push_back(co_await q.get());
        }
        EXPECT_EQ(out, (std::vector<int>{1, 2, 3, 4, 5}));
    }());
}

TEST_P(PriorityQueue, CustomComparator) {
    sync::priority_queue<int, std::greater<int>> q;
    for (int v : {5, 1, 4}) {
        q.put_nowait(v);
    }
    EXPECT_EQ(q.get_nowait(), 5);
    EXPECT_EQ(q.get_nowait(), 4);
    EXPECT_EQ(q.get_nowait(), 1);
}

TEST_P(PriorityQueue, EqualPrioritiesAreFifo) {
    sync::priority_queue<job, by_priority> q;
    q.put_nowait({2, "b1"});
    q.put_nowait({1, "a1"});
    q.put_nowait({2, "b2"});
    q.put_nowait({1, "a2"});
    q.put_nowait({2, "b3"});
    q.put_nowait({1, "a3"});
    std::vector<std::string> out;
    while (!q.empty()) {
        out.push_back(q.get_nowait().name);
    }
    EXPECT_EQ(out, (std::vector<std::string>{"a1", "a2", "a3", "b1", "b2", "b3"}));
}

coro<void> get_into(sync::priority_queue<int>& q, std::vector<int>& out) {
    out.push_back(co_await q.get());
}

TEST_P(PriorityQueue, WaitingGetterGetsTheSmallest) {
    run([]() -> coro<void> {
        sync::priority_queue<int> q(3);
        std::vector<int> out;
        task<> g = create_task(get_into(q, out));
        co_await test::spin();
        q.put_nowait(9);
        q.put_nowait(3); // both in before the getter runs
        co_await g;
        EXPECT_EQ(out, (std::vector<int>{3}));
        EXPECT_EQ(q.get_nowait(), 9);
    }());
}

CORELOOP_ALL_BACKENDS(PriorityQueue);

} // namespace
} // namespace coreloop
