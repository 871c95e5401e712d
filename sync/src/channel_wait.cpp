// The waiting halves of channel send() and recv(): waiter nodes in the awaiters (no
// allocation per wait), handed a credit or a value directly, so a try_send or try_recv never
// takes what a woken task was given.
#include <coreloop/sync/detail/channel_core.hpp>

#include <utility>

#include <coreloop/sync/exceptions.hpp>

namespace coreloop::sync::detail {

credit_wait::~credit_wait() {
    core_->stop_waiting(node_);
    give_back();
    if (retained_) {
        core_->release();
    }
}

bool credit_wait::suspend(std::coroutine_handle<> h) {
    if (ready()) {
        return false;
    }
    node_.arm(h);
    core_->wait_for_credit(node_);
    core_->retain();
    retained_ = true;
    return true;
}

bool credit_wait::cancel() noexcept {
    switch (node_.state()) {
    case waiter::status::waiting:
        core_->stop_waiting(node_);
        node_.wake_cancelled();
        return true;
    case waiter::status::woken:
        node_.cancel_after_wake = true; // acquire() hands the credit on
        return true;
    default:
        return false;
    }
}

void credit_wait::acquire() {
    switch (node_.state()) {
    case waiter::status::idle:
        if (core_->sender_closed()) {
            throw queue_shut_down("channel is closed");
        }
        core_->reserve();
        node_.has_credit = true;
        return;
    case waiter::status::cancelled:
        throw node_.make_cancelled_error();
    default:
        break;
    }
    if (node_.cancel_after_wake) {
        give_back(); // woken for a credit this task will not use: the next sender gets it
        throw node_.make_cancelled_error();
    }
    if (!node_.has_credit || core_->sender_closed()) {
        give_back();
        throw queue_shut_down("channel is closed");
    }
}

void credit_wait::give_back() noexcept {
    if (node_.has_credit) {
        node_.has_credit = false;
        core_->unreserve();
    }
}

value_wait::~value_wait() {
    core_->stop_waiting(node_);
    if (channel_message* m = std::exchange(node_.msg, nullptr)) {
        core_->give_back(*m); // handed over but never taken (the task never resumed)
    }
    if (retained_) {
        core_->release();
    }
}

bool value_wait::suspend(std::coroutine_handle<> h) {
    if (ready()) {
        return false;
    }
    node_.arm(h);
    core_->wait_for_value(node_);
    core_->retain();
    retained_ = true;
    return true;
}

bool value_wait::cancel() noexcept {
    switch (node_.state()) {
    case waiter::status::waiting:
        core_->stop_waiting(node_);
        node_.wake_cancelled();
        return true;
    case waiter::status::woken:
        node_.cancel_after_wake = true; // take() gives the value back
        return true;
    default:
        return false;
    }
}

channel_message& value_wait::take() {
    switch (node_.state()) {
    case waiter::status::idle:
        break;
    case waiter::status::cancelled:
        throw node_.make_cancelled_error();
    default:
        if (node_.cancel_after_wake) {
            if (channel_message* m = std::exchange(node_.msg, nullptr)) {
                core_->give_back(*m); // first in line again, for the next receiver
            }
            throw node_.make_cancelled_error();
        }
        if (channel_message* m = std::exchange(node_.msg, nullptr)) {
            if (core_->receiver_closed()) {
                core_->send_home(*m); // closed after it was handed over: dropped
                throw queue_shut_down("channel is closed");
            }
            return *m;
        }
        break; // woken by a close: whatever is buffered still comes first
    }
    if (!core_->receiver_closed()) {
        if (channel_message* m = core_->pop()) {
            return *m;
        }
    }
    throw queue_shut_down("channel is closed");
}

} // namespace coreloop::sync::detail
