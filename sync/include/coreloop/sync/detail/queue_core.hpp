// The part of every queue that does not depend on the item type: sizes, waiters, the
// unfinished-task count and shutdown (asyncio.Queue's bookkeeping).
#pragma once

#include <coroutine>
#include <cstddef>

#include <coreloop/coro.hpp>
#include <coreloop/sync/detail/waiter.hpp>
#include <coreloop/sync/event.hpp>

namespace coreloop::sync::detail {

class queue_core {
public:
    explicit queue_core(std::size_t maxsize) noexcept
        : maxsize_(maxsize) {
        finished_.set();
    }
    queue_core(const queue_core&) = delete;
    queue_core& operator=(const queue_core&) = delete;

    std::size_t maxsize() const noexcept { return maxsize_; }
    std::size_t qsize() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    bool full() const noexcept { return maxsize_ != 0 && size_ >= maxsize_; }
    bool is_shut_down() const noexcept { return shutdown_; }

    /// Throws queue_shut_down or queue_full if an item cannot go in now.
    void check_put() const;
    /// An item went in: counts it, and wakes one getter.
    void note_put() noexcept;
    /// Throws queue_shut_down or queue_empty if no item can come out now.
    void check_get() const;
    /// An item came out: wakes one putter.
    void note_get() noexcept;
    /// An item was dropped by shutdown(immediate): it no longer counts as unfinished.
    void note_dropped() noexcept;

    void task_done();
    event::wait_awaiter join() noexcept { return finished_.wait(); }
    /// Marks the queue shut down; after an immediate drain, wakes join() if nothing is left
    /// unfinished; wakes every getter and putter so they re-check and throw.
    void shut_down(bool immediate) noexcept;

    /// The waiting half of get(): returns once the queue has an item (the caller takes it in
    /// the same step); throws queue_shut_down if it is empty and shut down.
    coro<void> wait_not_empty();
    /// The waiting half of put(): returns once the queue has room.
    coro<void> wait_not_full();

private:
    class slot_awaiter;

    void wakeup_next(waiter_list& waiters) noexcept;

    waiter_list getters_;
    waiter_list putters_;
    event finished_;
    std::size_t maxsize_;
    std::size_t size_ = 0;
    std::size_t unfinished_ = 0;
    bool shutdown_ = false;
};

/// Starts `slow` as the continuation of `caller` (what `co_await slow` does), from inside
/// another awaiter's await_suspend, so a fast path can skip the coroutine frame entirely.
inline std::coroutine_handle<> start_inline(coro<void>& slow, std::coroutine_handle<> caller) {
    return std::move(slow).operator co_await().await_suspend(caller);
}

/// The outcome of a coroutine started with start_inline (rethrows its exception).
inline void finish_inline(coro<void>& slow) {
    if (slow) {
        std::move(slow).operator co_await().await_resume();
    }
}

} // namespace coreloop::sync::detail
