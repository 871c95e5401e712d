// queue<T>: asyncio.Queue for one shard, first in, first out.
#pragma once

#include <cstddef>
#include <deque>
#include <utility>

#include <coreloop/sync/basic_queue.hpp>

namespace coreloop::sync {

namespace detail {

/// First in, first out storage (asyncio.Queue's deque).
template <class T>
class fifo_store {
public:
    void push(T&& item) { items_.push_back(std::move(item)); }
    T pop() {
        T item = std::move(items_.front());
        items_.pop_front();
        return item;
    }

private:
    std::deque<T> items_;
};

} // namespace detail

/// A first-in, first-out queue (asyncio.Queue); see basic_queue for the API.
/// Shard: create and use it on one loop.
template <class T>
class queue : public basic_queue<T, detail::fifo_store<T>> {
public:
    /// maxsize 0: unbounded; otherwise put() waits while maxsize items are in.
    explicit queue(std::size_t maxsize = 0)
        : basic_queue<T, detail::fifo_store<T>>(maxsize) {}
};

} // namespace coreloop::sync
