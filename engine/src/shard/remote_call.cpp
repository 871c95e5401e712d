// The type-independent half of a cross-shard call: its trips, the cancel handshake, and
// waking the waiting task once the call is complete.
#include <coreloop/detail/remote_call.hpp>

#include <exception>
#include <string>

namespace coreloop::detail {

remote_call_base::remote_call_base(run_fn on_target) noexcept
    : shard_message(tls_shard.id)
    , cancel_(tls_shard.id) {
    run = on_target;
    cancel_.call = this;
    cancel_.run = &remote_call_base::on_cancel;
}

void remote_call_base::start(shard_id target) {
    target_ = target;
    send_to_shard(target, *this);
}

bool remote_call_base::cancel() noexcept {
    if (complete()) {
        if (waiter_ == nullptr) {
            return false;
        }
        // The reply is home and the task is about to resume: deliver the result and re-arm
        // the cancel for its next suspension (check_cancelled), as a lock or queue waiter
        // that was already handed its item does. Relaxed: only this shard reads it now.
        cancel_requested_.store(true, std::memory_order_relaxed);
        return true;
    }
    // Release: the target's acquire load only needs the flag itself; release keeps the store
    // from drifting after the cancel node's publication in a reordering-happy build.
    cancel_requested_.store(true, std::memory_order_release);
    if (!cancel_sent_) {
        try {
            send_to_shard(target_, cancel_);
            cancel_sent_ = true;
        } catch (...) {
            // Could not queue the cancel (out of memory): the flag alone still stops a call
            // that has not started, and the reply delivers the rest.
        }
    }
    return true;
}

void remote_call_base::abandon() noexcept {
    waiter_ = nullptr;
    abandoned_ = true;
}

void remote_call_base::reply(bool cancelled) {
    remote_cancelled_ = cancelled;
    run = &remote_call_base::on_reply;
    send_to_shard(origin, *this);
}

void remote_call_base::check_cancelled() const {
    const bool asked = cancel_requested_.load(std::memory_order_relaxed); // origin's own store
    if (remote_cancelled_) {
        if (asked && waiter_ != nullptr) {
            throw waiter_->state().make_cancelled_error();
        }
        throw cancelled_error("the call was cancelled on shard " + std::to_string(target_));
    }
    if (asked && waiter_ != nullptr) {
        waiter_->rearm_cancel();
    }
}

void remote_call_base::on_reply(runnable& r) noexcept {
    auto& self = static_cast<remote_call_base&>(static_cast<shard_message&>(r));
    self.replied_ = true;
    self.finish_if_complete();
}

void remote_call_base::on_cancel(runnable& r) noexcept {
    auto& node = static_cast<cancel_node&>(static_cast<shard_message&>(r));
    // On the target. The call itself may already be on its way back (then remote_task_ is
    // null); its memory stays valid until this node is home, since the origin frees the call
    // only once the cancel is acknowledged.
    if (task_core* task = node.call->remote_task_) {
        task->request_cancel({});
    }
    node.run = &remote_call_base::on_cancel_ack;
    try {
        send_to_shard(node.origin, node);
    } catch (...) {
        std::terminate(); // a lost acknowledgement would leave the origin waiting forever
    }
}

void remote_call_base::on_cancel_ack(runnable& r) noexcept {
    auto& node = static_cast<cancel_node&>(static_cast<shard_message&>(r));
    node.call->cancel_acked_ = true;
    node.call->finish_if_complete();
}

void remote_call_base::finish_if_complete() noexcept {
    if (!complete()) {
        return;
    }
    if (abandoned_) {
        delete this;
    } else if (waiter_ != nullptr) {
        waiter_->wake(waiting_);
    }
}

} // namespace coreloop::detail
