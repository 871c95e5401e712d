// The part of every queue that does not depend on the item type: sizes, waiters, the
// unfinished-task count and shutdown (asyncio.Queue's bookkeeping).
#pragma once

#include <coroutine>
#include <cstddef>

#include <coreloop/detail/ready_queue.hpp>
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

    /// The waiting half of get() and put(), kept in their awaiters (defined below).
    class slot_wait;

private:
    void wakeup_next(waiter_list& waiters) noexcept;

    waiter_list getters_;
    waiter_list putters_;
    event finished_;
    std::size_t maxsize_;
    std::size_t size_ = 0;
    std::size_t unfinished_ = 0;
    bool shutdown_ = false;
};

/// The waiting half of get() (for an item) or put() (for room), in the awaiter: its waiter
/// node wakes its own runnable, which resumes the task only if what it waits for is there (or
/// the queue is shut down); if a barging get_nowait/put_nowait took it, it queues again at the
/// back, as asyncio's loop appends a new future, without resuming the task.
class queue_core::slot_wait : private coreloop::detail::runnable {
public:
    slot_wait(queue_core& q, bool getter) noexcept
        : runnable(&slot_wait::run)
        , q_(&q)
        , getter_(getter) {}
    slot_wait(const slot_wait&) = delete;
    slot_wait& operator=(const slot_wait&) = delete;
    ~slot_wait() { list().remove(waiter_); }

    /// Queues the task; false (no suspension) if the queue is shut down or has what it
    /// waits for already. Errors: std::runtime_error outside a task.
    bool suspend(std::coroutine_handle<> h);
    /// await_cancel: see waiter::status; true while suspended.
    bool cancel() noexcept;
    /// After suspend(): throws cancelled_error (handing a wake-up it will not use on) or
    /// queue_shut_down; otherwise the item (or room) is there for the caller to take now.
    void finish();

private:
    static void run(coreloop::detail::runnable& self) noexcept;
    bool has_room() const noexcept { return getter_ ? !q_->empty() : !q_->full(); }
    waiter_list& list() const noexcept { return getter_ ? q_->getters_ : q_->putters_; }

    queue_core* q_;
    waiter waiter_;
    bool getter_;
};

} // namespace coreloop::sync::detail
