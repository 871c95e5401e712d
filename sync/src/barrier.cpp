// barrier: asyncio's state machine (filling, draining, resetting, broken) over a condition;
// wait() runs asyncio's Barrier.wait as the on_held() steps of a cond_wait.
#include <coreloop/sync/barrier.hpp>

#include <exception>
#include <stdexcept>

namespace coreloop::sync {

barrier::barrier(std::size_t parties)
    : parties_(parties) {
    if (parties < 1) {
        throw std::invalid_argument("parties must be >= 1");
    }
}

bool barrier::wait_awaiter::on_held(cond_wait& self) noexcept {
    return static_cast<wait_awaiter&>(self).step();
}

bool barrier::wait_awaiter::step() noexcept {
    barrier& b = *barrier_;
    if (stage_ == stage::block) {
        // asyncio's _block: wait while it drains or resets, then refuse a broken barrier.
        if (cancelled_) {
            release_lock();
            return true;
        }
        if (b.state_ == state::draining || b.state_ == state::resetting) {
            wait_notified();
            return false;
        }
        if (b.state_ == state::broken) {
            error_ = std::make_exception_ptr(broken_barrier_error("Barrier aborted"));
            release_lock();
            return true;
        }
        index_ = b.count_++;
        if (index_ + 1 == b.parties_) {
            // The last arrival releases everybody; new arrivals wait until the drain ends.
            b.state_ = state::draining;
            b.cond_.wake_all_held();
            return leave_barrier();
        }
        stage_ = stage::released;
        wait_notified();
        return false;
    }
    // asyncio's _wait: until the barrier leaves filling.
    if (!cancelled_) {
        if (b.state_ == state::filling) {
            wait_notified();
            return false;
        }
        if (b.state_ == state::broken || b.state_ == state::resetting) {
            error_ = std::make_exception_ptr(broken_barrier_error("Abort or reset of barrier"));
        }
    }
    return leave_barrier();
}

bool barrier::wait_awaiter::leave_barrier() noexcept {
    --barrier_->count_;
    barrier_->leave();
    release_lock();
    return true;
}

void barrier::leave() noexcept {
    // The last task out ends a drain or a reset and lets the blocked arrivals in.
    if (count_ == 0) {
        if (state_ == state::resetting || state_ == state::draining) {
            state_ = state::filling;
        }
        cond_.wake_all_held();
    }
}

void barrier::update(bool abort) noexcept {
    if (abort) {
        state_ = state::broken;
    } else if (count_ > 0) {
        state_ = state::resetting;
    } else {
        state_ = state::filling;
    }
    cond_.wake_all_held();
    cond_.lock_->release(); // held: taken by update_awaiter
}

} // namespace coreloop::sync
