// sleep(): a timer entry in the awaiting frame, or a plain yield for delays <= 0.
#include <coreloop/sleep.hpp>

#include <stdexcept>

namespace coreloop::detail {

sleep_awaiter::~sleep_awaiter() {
    // The frame is destroyed while sleeping (its task was dropped): leave the heap.
    if (is_queued() && task_ != nullptr) {
        task_->loop()->timers.remove(*this);
    }
}

void sleep_awaiter::await_suspend(std::coroutine_handle<> h) {
    task_ = current_task_core();
    if (task_ == nullptr) {
        throw std::runtime_error("sleep() can only be awaited inside a task");
    }
    waiting_ = h;
    loop_core& loop = *task_->loop();
    if (delay_ <= clock::duration::zero()) {
        task_->wake(h); // asyncio's sleep(0): yield once, no timer
        return;
    }
    deadline = loop.now + delay_;
    loop.timers.add(*this);
}

bool sleep_awaiter::await_cancel() noexcept {
    if (!is_queued()) {
        return false; // already fired (or a yield): the task throws when it resumes
    }
    task_->loop()->timers.remove(*this);
    cancelled_ = true;
    task_->wake(waiting_);
    return true;
}

void sleep_awaiter::await_resume() const {
    if (cancelled_) {
        throw task_->state().make_cancelled_error();
    }
}

void sleep_awaiter::fire_it(timer_entry& t) noexcept {
    auto& self = static_cast<sleep_awaiter&>(t);
    self.task_->wake(self.waiting_);
}

} // namespace coreloop::detail
