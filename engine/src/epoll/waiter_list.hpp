// An intrusive FIFO of io_ops through io_op::next/prev: the ops waiting on one direction of one
// fd. Linking and unlinking never allocate, so a waiting op costs nothing beyond its record.
#pragma once

#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::epoll {

/// Ops waiting for one readiness direction of one fd, oldest first.
/// Shard: the reactor's thread.
class waiter_list {
public:
    bool empty() const noexcept { return head_ == nullptr; }
    io_op* front() const noexcept { return head_; }

    /// Appends op, which must not be in any list.
    void push_back(io_op& op) noexcept {
        op.next = nullptr;
        op.prev = tail_;
        if (tail_ != nullptr) {
            tail_->next = &op;
        } else {
            head_ = &op;
        }
        tail_ = &op;
    }

    /// Removes op, which must be in this list.
    void erase(io_op& op) noexcept {
        if (op.prev != nullptr) {
            op.prev->next = op.next;
        } else {
            head_ = op.next;
        }
        if (op.next != nullptr) {
            op.next->prev = op.prev;
        } else {
            tail_ = op.prev;
        }
        op.next = nullptr;
        op.prev = nullptr;
    }

private:
    io_op* head_ = nullptr;
    io_op* tail_ = nullptr;
};

} // namespace coreloop::detail::epoll
