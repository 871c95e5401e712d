// basic_queue<T, Store>: asyncio.Queue's API over a storage policy; queue, lifo_queue and
// priority_queue differ only in the Store (asyncio's _init/_put/_get).
#pragma once

#include <coroutine>
#include <cstddef>
#include <utility>

#include <coreloop/sync/detail/queue_core.hpp>
#include <coreloop/sync/event.hpp>
#include <coreloop/sync/exceptions.hpp>

namespace coreloop::sync {

/// A queue of T for tasks of one shard (asyncio.Queue), with the order given by Store
/// (push(T&&), T pop(), clear()). maxsize 0 means unbounded.
/// Shard: create and use it on one loop; it must outlive every task waiting on it.
template <class T, class Store>
class basic_queue {
public:
    class put_awaiter;
    class get_awaiter;

    explicit basic_queue(std::size_t maxsize = 0)
        : core_(maxsize) {}
    basic_queue(const basic_queue&) = delete;
    basic_queue& operator=(const basic_queue&) = delete;

    /// Items allowed in the queue (0: unbounded).
    std::size_t maxsize() const noexcept { return core_.maxsize(); }
    /// Items in the queue now.
    std::size_t qsize() const noexcept { return core_.qsize(); }
    bool empty() const noexcept { return core_.empty(); }
    /// True if maxsize items are in the queue (never for an unbounded queue).
    bool full() const noexcept { return core_.full(); }

    /// `co_await q.put(item)` adds item, first waiting (FIFO among putters) while the queue
    /// is full. Returns without suspending if there is room.
    /// Errors: queue_shut_down if the queue is (or gets) shut down.
    /// Cancellation: the item is not added and no slot stays reserved; a putter woken then
    /// cancelled wakes the next putter.
    /// Shard: inside a task on the queue's loop.
    [[nodiscard]] put_awaiter put(T item) { return put_awaiter(*this, std::move(item)); }

    /// `co_await q.get()` removes and returns an item, first waiting (FIFO among getters)
    /// while the queue is empty. Returns without suspending if an item is there.
    /// Errors: queue_shut_down if the queue is empty and shut down (at once after an
    /// immediate shutdown).
    /// Cancellation: no item is taken; a getter woken then cancelled wakes the next getter.
    /// Shard: inside a task on the queue's loop.
    [[nodiscard]] get_awaiter get() noexcept { return get_awaiter(*this); }

    /// Adds item now. Errors: queue_shut_down if shut down; queue_full if full.
    void put_nowait(T item) {
        core_.check_put();
        store_.push(std::move(item));
        core_.note_put();
    }

    /// Removes and returns an item now. Errors: queue_shut_down if empty and shut down;
    /// queue_empty if empty.
    T get_nowait() {
        core_.check_get();
        T item = store_.pop();
        core_.note_get();
        return item;
    }

    /// Marks one item got earlier as processed; join() returns when every item put has been.
    /// Errors: std::invalid_argument if called more times than items were put.
    void task_done() { core_.task_done(); }

    /// `co_await q.join()` waits until every item put has been marked done (at once if so).
    /// Cancellation: nothing changes in the queue. Shard: inside a task on the queue's loop.
    [[nodiscard]] event::wait_awaiter join() noexcept { return core_.join(); }

    /// Shuts the queue down (Python 3.13): put() and put_nowait() throw queue_shut_down;
    /// get() drains what is left, then throws it. Blocked putters and getters wake and
    /// re-check. With immediate, the queue is emptied first, the unfinished count drops by
    /// the items drained (join() returns if it reaches 0) and blocked getters throw.
    void shutdown(bool immediate = false) {
        if (immediate) {
            while (!core_.empty()) {
                store_.pop();
                core_.note_dropped();
            }
        }
        core_.shut_down(immediate);
    }

private:
    detail::queue_core core_;
    Store store_;
};

/// What basic_queue::put() returns; co_await it once.
template <class T, class Store>
class [[nodiscard]] basic_queue<T, Store>::put_awaiter {
public:
    put_awaiter(basic_queue& q, T item)
        : q_(&q)
        , item_(std::move(item))
        , slot_(q.core_, false) {}
    // Moved only before it is awaited (into the suspension wrapper).
    put_awaiter(put_awaiter&& other)
        : q_(other.q_)
        , item_(std::move(other.item_))
        , slot_(other.q_->core_, false) {}
    put_awaiter& operator=(put_awaiter&&) = delete;
    ~put_awaiter() = default;

    bool await_ready() const noexcept { return !q_->full(); }
    bool await_suspend(std::coroutine_handle<> h) { return slot_.suspend(h); }
    bool await_cancel() noexcept { return slot_.cancel(); }
    void await_resume() {
        slot_.finish();
        q_->put_nowait(std::move(item_));
    }

private:
    basic_queue* q_;
    T item_;
    detail::queue_core::slot_wait slot_;
};

/// What basic_queue::get() returns; co_await it once.
template <class T, class Store>
class [[nodiscard]] basic_queue<T, Store>::get_awaiter {
public:
    explicit get_awaiter(basic_queue& q) noexcept
        : q_(&q)
        , slot_(q.core_, true) {}
    // Moved only before it is awaited (into the suspension wrapper).
    get_awaiter(get_awaiter&& other) noexcept
        : q_(other.q_)
        , slot_(other.q_->core_, true) {}
    get_awaiter& operator=(get_awaiter&&) = delete;
    ~get_awaiter() = default;

    bool await_ready() const noexcept { return !q_->empty(); }
    bool await_suspend(std::coroutine_handle<> h) { return slot_.suspend(h); }
    bool await_cancel() noexcept { return slot_.cancel(); }
    T await_resume() {
        slot_.finish();
        return q_->get_nowait();
    }

private:
    basic_queue* q_;
    detail::queue_core::slot_wait slot_;
};

} // namespace coreloop::sync
