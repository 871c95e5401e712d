// Indexed binary heap of timer entries.
#include <coreloop/detail/timer_queue.hpp>

namespace coreloop::detail {

void timer_queue::add(timer_entry& e) {
    e.seq = next_seq_++;
    heap_.push_back(&e);
    e.heap_index = heap_.size() - 1;
    sift_up(e.heap_index);
}

void timer_queue::remove(timer_entry& e) noexcept {
    if (!e.is_queued()) {
        return;
    }
    std::size_t i = e.heap_index;
    e.heap_index = timer_entry::not_queued;
    timer_entry* last = heap_.back();
    heap_.pop_back();
    if (last == &e) {
        return;
    }
    place(i, last);
    if (i > 0 && earlier(last, heap_[(i - 1) / 2])) {
        sift_up(i);
    } else {
        sift_down(i);
    }
}

timer_entry* timer_queue::pop_expired(clock::time_point now) noexcept {
    if (heap_.empty() || heap_.front()->deadline > now) {
        return nullptr;
    }
    timer_entry* e = heap_.front();
    remove(*e);
    return e;
}

void timer_queue::clear() noexcept {
    for (timer_entry* e : heap_) {
        e->heap_index = timer_entry::not_queued;
    }
    heap_.clear();
}

void timer_queue::sift_up(std::size_t i) noexcept {
    timer_entry* e = heap_[i];
    while (i > 0) {
        std::size_t parent = (i - 1) / 2;
        if (!earlier(e, heap_[parent])) {
            break;
        }
        place(i, heap_[parent]);
        i = parent;
    }
    place(i, e);
}

void timer_queue::sift_down(std::size_t i) noexcept {
    timer_entry* e = heap_[i];
    std::size_t n = heap_.size();
    for (;;) {
        std::size_t child = 2 * i + 1;
        if (child >= n) {
            break;
        }
        if (child + 1 < n && earlier(heap_[child + 1], heap_[child])) {
            ++child;
        }
        if (!earlier(heap_[child], e)) {
            break;
        }
        place(i, heap_[child]);
        i = child;
    }
    place(i, e);
}

} // namespace coreloop::detail
