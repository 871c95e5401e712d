// barrier: asyncio's state machine (filling, draining, resetting, broken) over a condition.
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

coro<std::size_t> barrier::wait() {
    guard<lock> held = co_await cond_.scoped();
    co_await block();
    const std::size_t index = count_++;
    std::exception_ptr error;
    try {
        if (index + 1 == parties_) {
            // The last arrival releases everybody; new arrivals wait until the drain ends.
            state_ = state::draining;
            cond_.notify_all();
        } else {
            co_await wait_released();
        }
    } catch (...) {
        error = std::current_exception();
    }
    --count_;
    leave();
    if (error) {
        std::rethrow_exception(error);
    }
    co_return index;
}

coro<void> barrier::block() {
    // Wait while it drains or resets.
    co_await cond_.wait_for(
            [this] { return state_ != state::draining && state_ != state::resetting; });
    if (state_ == state::broken) {
        throw broken_barrier_error("Barrier aborted");
    }
}

coro<void> barrier::wait_released() {
    co_await cond_.wait_for([this] { return state_ != state::filling; });
    if (state_ == state::broken || state_ == state::resetting) {
        throw broken_barrier_error("Abort or reset of barrier");
    }
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

coro<void> barrier::reset() {
    guard<lock> held = co_await cond_.scoped();
    if (count_ > 0) {
        state_ = state::resetting;
    } else {
        state_ = state::filling;
    }
    cond_.notify_all();
}

coro<void> barrier::abort() {
    guard<lock> held = co_await cond_.scoped();
    state_ = state::broken;
    cond_.notify_all();
}

} // namespace coreloop::sync
