// The loop's ready queue: an intrusive FIFO of runnable nodes, so making a task or callback
// ready never allocates.
#pragma once

#include <cstddef>

namespace coreloop::detail {

/// Something the loop can run: a task step, a call_soon callback, a done callback.
struct runnable {
    using run_fn = void (*)(runnable& self) noexcept;

    /// `discard` releases a node the loop drops unrun when it closes (nullptr: nothing to do).
    explicit runnable(run_fn fn, run_fn discard_fn = nullptr) noexcept
        : run(fn)
        , discard(discard_fn) {}

    run_fn run;
    run_fn discard;
    runnable* next_ready = nullptr;
    bool queued = false;
};

class ready_queue {
public:
    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept { return size_; }

    /// Appends r; r must not be queued already.
    void push(runnable& r) noexcept {
        r.queued = true;
        r.next_ready = nullptr;
        if (tail_ != nullptr) {
            tail_->next_ready = &r;
        } else {
            head_ = &r;
        }
        tail_ = &r;
        ++size_;
    }

    /// Detaches every queued node as one batch (a singly linked list through next_ready).
    runnable* take_all() noexcept {
        runnable* batch = head_;
        head_ = tail_ = nullptr;
        size_ = 0;
        return batch;
    }

private:
    runnable* head_ = nullptr;
    runnable* tail_ = nullptr;
    std::size_t size_ = 0;
};

} // namespace coreloop::detail
