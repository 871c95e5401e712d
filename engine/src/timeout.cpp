// The timeout scope's state machine (asyncio.timeouts.Timeout).
#include <coreloop/timeout.hpp>

#include <stdexcept>

#include <coreloop/event_loop.hpp>

namespace coreloop {

namespace detail {
clock::time_point running_loop_time() {
    return get_running_loop().time();
}
} // namespace detail

void timeout::enter() {
    if (state_ != state::created) {
        throw std::runtime_error("Timeout has already been entered");
    }
    task_ = detail::current_task_core();
    if (task_ == nullptr) {
        throw std::runtime_error("Timeout should be used inside a task");
    }
    state_ = state::entered;
    cancelling_at_entry_ = task_->cancelling();
    reschedule(when_);
}

void timeout::reschedule(std::optional<time_point> when) {
    switch (state_) {
    case state::entered:
        break;
    case state::created:
        throw std::runtime_error("Timeout has not been entered");
    case state::expiring:
    case state::expired:
        throw std::runtime_error("Cannot change state of expiring Timeout");
    case state::exited:
        throw std::runtime_error("Cannot change state of finished Timeout");
    }
    when_ = when;
    timer_.cancel();
    timer_ = handle();
    if (!when) {
        return;
    }
    event_loop& loop = get_running_loop();
    if (*when <= loop.time()) {
        timer_ = loop.call_soon([this] { on_expiry(); });
    } else {
        timer_ = loop.call_at(*when, [this] { on_expiry(); });
    }
}

void timeout::on_expiry() noexcept {
    try {
        task_->request_cancel({});
    } catch (...) {
        // request_cancel allocates only for a non-empty message.
    }
    state_ = state::expiring;
    timer_ = handle();
}

void timeout::exit(std::exception_ptr error) {
    timer_.cancel();
    timer_ = handle();
    if (state_ == state::entered) {
        state_ = state::exited;
        return;
    }
    if (state_ != state::expiring) {
        return;
    }
    state_ = state::expired;
    // Only if no cancellation beyond the ones present at entry remains is the cancel ours
    // to turn into timeout_error (an outer cancel or an outer timeout keeps its count up).
    if (task_->uncancel() > cancelling_at_entry_ || error == nullptr) {
        return;
    }
    try {
        std::rethrow_exception(error);
    } catch (const cancelled_error&) {
        std::throw_with_nested(timeout_error());
    } catch (...) {
        // Not a cancellation: the body's own error passes through unchanged.
    }
}

} // namespace coreloop
