// priority_queue<T, Cmp>: asyncio.PriorityQueue for one shard, smallest item first.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <coreloop/sync/basic_queue.hpp>

namespace coreloop::sync {

namespace detail {

/// A binary heap giving the smallest item under Cmp first (asyncio's heapq), with ties
/// broken by insertion order. heapq is not stable, which is why Python users queue
/// (priority, counter, item) tuples; counting here makes equal priorities FIFO for free.
template <class T, class Cmp>
class heap_store {
public:
    void push(T&& item) {
        heap_.push_back(entry{std::move(item), next_seq_++});
        std::push_heap(heap_.begin(), heap_.end(), later{cmp_});
    }
    T pop() {
        std::pop_heap(heap_.begin(), heap_.end(), later{cmp_});
        T item = std::move(heap_.back().item);
        heap_.pop_back();
        return item;
    }

private:
    struct entry {
        T item;
        std::uint64_t seq;
    };
    // std heaps put the greatest first, so "greater" means "comes out later".
    struct later {
        Cmp& cmp;
        bool operator()(const entry& a, const entry& b) const {
            if (cmp(a.item, b.item)) {
                return false;
            }
            if (cmp(b.item, a.item)) {
                return true;
            }
            return a.seq > b.seq;
        }
    };

    std::vector<entry> heap_;
    Cmp cmp_{};
    std::uint64_t next_seq_ = 0;
};

} // namespace detail

/// A queue giving the smallest item under Cmp first (asyncio.PriorityQueue); items that
/// compare equal come out in the order they were put (FIFO). See basic_queue for the API.
/// Shard: create and use it on one loop.
template <class T, class Cmp = std::less<T>>
class priority_queue : public basic_queue<T, detail::heap_store<T, Cmp>> {
public:
    /// maxsize 0: unbounded; otherwise put() waits while maxsize items are in.
    explicit priority_queue(std::size_t maxsize = 0)
        : basic_queue<T, detail::heap_store<T, Cmp>>(maxsize) {}
};

} // namespace coreloop::sync
