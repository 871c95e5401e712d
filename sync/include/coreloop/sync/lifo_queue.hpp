// lifo_queue<T>: asyncio.LifoQueue for one shard, last in, first out.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include <coreloop/sync/basic_queue.hpp>

namespace coreloop::sync {

namespace detail {

/// Last in, first out storage (asyncio.LifoQueue's list).
template <class T>
class lifo_store {
public:
    void push(T&& item) { items_.push_back(std::move(item)); }
    T pop() {
        T item = std::move(items_.back());
        items_.pop_back();
        return item;
    }

private:
    std::vector<T> items_;
};

} // namespace detail

/// A last-in, first-out queue (asyncio.LifoQueue); see basic_queue for the API.
/// Shard: create and use it on one loop.
template <class T>
class lifo_queue : public basic_queue<T, detail::lifo_store<T>> {
public:
    /// maxsize 0: unbounded; otherwise put() waits while maxsize items are in.
    explicit lifo_queue(std::size_t maxsize = 0)
        : basic_queue<T, detail::lifo_store<T>>(maxsize) {}
};

} // namespace coreloop::sync
