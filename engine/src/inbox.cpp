// The loop's multi-producer inbox: push from any thread, drain and close on the loop's.
#include <coreloop/detail/inbox.hpp>

#include <thread>

#include "reactor.hpp"

namespace coreloop::detail {

bool inbox::push(inbox_node& node) noexcept {
    // seq_cst, ordered before the CAS below: close() reads the count after closing the stack,
    // so a push it does not wait for is one whose CAS comes later and finds the stack closed.
    pushing_.fetch_add(1, std::memory_order_seq_cst);
    inbox_node* head = head_.load(std::memory_order_relaxed);
    bool pushed = true;
    for (;;) {
        if (head == closed_mark()) {
            pushed = false;
            break;
        }
        node.next_posted = head;
        // seq_cst on success: releases the node to drain_into()'s exchange, and is the
        // producer's store in the wake protocol (see the class comment).
        if (head_.compare_exchange_weak(head, &node, std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
            break;
        }
    }
    if (pushed && sleeping_.load(std::memory_order_seq_cst)) {
        io_->wake();
    }
    // release: pairs with the seq_cst (acquire) load in close(), so the loop frees the
    // reactor only after this push has stopped using it.
    pushing_.fetch_sub(1, std::memory_order_release);
    return pushed;
}

void inbox::wake_if_sleeping() noexcept {
    if (sleeping_.load(std::memory_order_seq_cst) &&
        sleeping_.exchange(false, std::memory_order_seq_cst)) {
        io_->wake();
    }
}

void inbox::force_wake() noexcept {
    io_->wake();
}

inbox_node* inbox::reverse(inbox_node* list) noexcept {
    inbox_node* oldest_first = nullptr;
    while (list != nullptr) {
        inbox_node* next = list->next_posted;
        list->next_posted = oldest_first;
        oldest_first = list;
        list = next;
    }
    return oldest_first;
}

void inbox::drain_into(ready_queue& ready) noexcept {
    // relaxed: a cheap check on the busy path; a node it misses is taken next iteration, and
    // the exchange below is what acquires the nodes.
    if (head_.load(std::memory_order_relaxed) == nullptr) {
        return;
    }
    // acquire: pairs with the producers' seq_cst CAS, making each node's contents visible.
    inbox_node* list = reverse(head_.exchange(nullptr, std::memory_order_acquire));
    while (list != nullptr) {
        inbox_node* next = list->next_posted;
        list->next_posted = nullptr;
        ready.push(*list);
        list = next;
    }
}

inbox_node* inbox::close() noexcept {
    inbox_node* list = head_.exchange(closed_mark(), std::memory_order_seq_cst);
    if (list == closed_mark()) {
        return nullptr;
    }
    while (pushing_.load(std::memory_order_seq_cst) != 0) {
        std::this_thread::yield();
    }
    return reverse(list);
}

} // namespace coreloop::detail
