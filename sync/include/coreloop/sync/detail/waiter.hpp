// The waiter node every sync primitive queues: it lives in the awaiter, inside the waiting
// coroutine's frame, so waiting never allocates. Plus the intrusive FIFO list of such nodes.
#pragma once

#include <coroutine>
#include <cstddef>
#include <stdexcept>

#include <coreloop/detail/task_core.hpp>
#include <coreloop/exceptions.hpp>

namespace coreloop::sync::detail {

/// One suspended task waiting on a primitive (asyncio's waiter future).
class waiter {
public:
    enum class status : unsigned char {
        idle,      // not suspended yet
        waiting,   // queued, not woken
        woken,     // handed what it waited for; its task is on the ready queue
        cancelled, // cancelled before being woken; its task is on the ready queue
    };

    waiter() noexcept = default;
    waiter(const waiter&) = delete;
    waiter& operator=(const waiter&) = delete;

    /// Records the task and the frame to resume, and marks the waiter waiting. With `via`,
    /// wake-ups schedule that node instead of the task: it re-checks the primitive when the
    /// loop runs it and resumes the task itself (resume()) or waits again (rearm()).
    /// Errors: std::runtime_error outside a task.
    void arm(std::coroutine_handle<> h, coreloop::detail::runnable* via = nullptr) {
        bind(h, via);
        status_ = status::waiting;
    }

    /// arm() without marking the waiter waiting (a node queued later, by rearm()).
    void bind(std::coroutine_handle<> h, coreloop::detail::runnable* via = nullptr) {
        task_ = coreloop::detail::current_task_core();
        if (task_ == nullptr) {
            throw std::runtime_error("coreloop::sync primitives can only be awaited in a task");
        }
        handle_ = h;
        via_ = via;
    }

    /// Marks a bound waiter waiting again (it is about to be queued anew).
    void rearm() noexcept {
        status_ = status::waiting;
        cancel_after_wake = false;
    }

    /// Marks a bound waiter as queued nowhere.
    void disarm() noexcept {
        status_ = status::idle;
        cancel_after_wake = false;
    }

    /// Makes the task ready to resume (through the ready queue, never inline).
    void wake() noexcept {
        status_ = status::woken;
        schedule();
    }

    /// Makes the task ready to resume with cancelled_error.
    void wake_cancelled() noexcept {
        status_ = status::cancelled;
        schedule();
    }

    /// Resumes the task now (from the `via` node's run, in the task's place in the loop).
    void resume() noexcept { task_->resume_now(handle_); }

    /// The cancelled_error carrying the message given to task::cancel.
    cancelled_error make_cancelled_error() const { return task_->state().make_cancelled_error(); }

    coreloop::detail::task_core* task() const noexcept { return task_; }
    status state() const noexcept { return status_; }
    bool linked() const noexcept { return linked_; }

    /// A cancel that arrived after the waiter was woken but before its task ran.
    bool cancel_after_wake = false;

private:
    friend class waiter_list;

    void schedule() noexcept {
        if (via_ == nullptr) {
            task_->wake(handle_);
        } else if (!via_->queued) {
            task_->loop()->schedule(*via_);
        }
    }

    coreloop::detail::task_core* task_ = nullptr;
    coreloop::detail::runnable* via_ = nullptr;
    std::coroutine_handle<> handle_;
    waiter* prev_ = nullptr;
    waiter* next_ = nullptr;
    status status_ = status::idle;
    bool linked_ = false;
};

/// An intrusive FIFO of waiters (asyncio's deque of futures), O(1) removal from anywhere.
class waiter_list {
public:
    waiter_list() noexcept = default;
    waiter_list(const waiter_list&) = delete;
    waiter_list& operator=(const waiter_list&) = delete;

    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept { return size_; }
    waiter* front() const noexcept { return head_; }
    static waiter* next(const waiter& w) noexcept { return w.next_; }

    void push_back(waiter& w) noexcept {
        w.prev_ = tail_;
        w.next_ = nullptr;
        (tail_ != nullptr ? tail_->next_ : head_) = &w;
        tail_ = &w;
        w.linked_ = true;
        ++size_;
    }

    /// Unlinks w if it is in the list.
    void remove(waiter& w) noexcept {
        if (!w.linked_) {
            return;
        }
        (w.prev_ != nullptr ? w.prev_->next_ : head_) = w.next_;
        (w.next_ != nullptr ? w.next_->prev_ : tail_) = w.prev_;
        w.prev_ = w.next_ = nullptr;
        w.linked_ = false;
        --size_;
    }

    /// Unlinks and returns the first waiter, or nullptr.
    waiter* pop_front() noexcept {
        waiter* w = head_;
        if (w != nullptr) {
            remove(*w);
        }
        return w;
    }

private:
    waiter* head_ = nullptr;
    waiter* tail_ = nullptr;
    std::size_t size_ = 0;
};

} // namespace coreloop::sync::detail
