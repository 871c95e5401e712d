// channel_core: the credits, the receiver's buffer and the close handshake of a cross-shard
// channel. Every value and every close travels in a message on the engine's rings, so each
// field is touched by one shard only and the rings order what one side tells the other.
#include <coreloop/sync/detail/channel_core.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include <coreloop/shard.hpp>
#include <coreloop/sync/exceptions.hpp>

namespace coreloop::sync::detail {

using coreloop::detail::runnable;
using coreloop::detail::shard_message;

namespace {

// Outside any running loop (before or after an engine runs), nothing travels: a close then
// runs every stage where it is called.
bool no_running_loop() noexcept {
    return coreloop::detail::tls_running_loop == nullptr;
}

// Sends m to shard `to`, or runs it here when no loop runs. A message that cannot be queued
// (out of memory for the ring's overflow) would leave the engine waiting for it forever, as
// remote_call's acknowledgements would.
void deliver(shard_id to, shard_message& m) noexcept {
    if (no_running_loop()) {
        m.run(m);
        return;
    }
    try {
        coreloop::detail::send_to_shard(to, m);
    } catch (...) {
        std::terminate();
    }
}

} // namespace

void channel_misuse(const char* what) noexcept {
    std::fprintf(stderr, "coreloop: %s\n", what);
    std::abort();
}

channel_message::channel_message(channel_core& c) noexcept
    : shard_message(c.sender_shard())
    , core(&c) {}

channel_core* channel_core::make(shard_id from, shard_id to, std::size_t capacity) {
    if (capacity == 0) {
        throw std::invalid_argument("make_channel: capacity must be at least 1");
    }
    if (from >= shard_count() || to >= shard_count()) {
        throw std::out_of_range("make_channel: no shard " +
                                std::to_string(from >= shard_count() ? from : to));
    }
    return new channel_core(from, to, capacity);
}

channel_core::channel_core(shard_id from, shard_id to, std::size_t capacity) noexcept
    : from_(from)
    , to_(to)
    , capacity_(capacity) {
    tx_node_.core = this;
    tx_node_.of_sender = true;
    rx_node_.core = this;
}

void channel_core::retain() noexcept {
    // Relaxed: the caller holds a reference already, so the count cannot reach zero meanwhile;
    // release()'s acq_rel decrement orders the free.
    refs_.fetch_add(1, std::memory_order_relaxed);
}

void channel_core::release() noexcept {
    // Acq_rel: the release half publishes this holder's last writes; the acquire half of the
    // last decrement sees every other holder's (pairs with the other holders' decrements).
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        delete this;
    }
}

// --- sender side -------------------------------------------------------------------------

void channel_core::check_sender_shard() const noexcept {
    if (this_shard_id() != from_) {
        channel_misuse("a channel_sender was used on a shard other than its own");
    }
}

void channel_core::reserve() noexcept {
    if (used_++ == 0) {
        retain(); // the block stays while any credit is used
    }
}

void channel_core::unreserve() noexcept {
    if (waiter* w = senders_.pop_front()) {
        auto& next = static_cast<credit_node&>(*w);
        next.has_credit = true; // handed on: used_ stays the same
        next.wake();
        return;
    }
    if (--used_ == 0) {
        release(); // may free the block: nothing after this
    }
}

void channel_core::post(channel_message& m) {
    m.run = &channel_core::on_arrive;
    coreloop::detail::send_to_shard(to_, m);
}

void channel_core::on_home(runnable& r) noexcept {
    auto& m = static_cast<channel_message&>(static_cast<shard_message&>(r));
    channel_core* core = m.core;
    delete &m; // a value never received is destroyed here, on the shard that made it
    core->unreserve();
}

void channel_core::close_sender() noexcept {
    start_close(tx_node_);
}

void channel_core::close_here_as_sender() noexcept {
    tx_closed_ = true;
    wake_all_senders();
}

void channel_core::learn_receiver_closed() noexcept {
    rx_closed_seen_ = true;
    wake_all_senders();
}

void channel_core::wake_all_senders() noexcept {
    while (waiter* w = senders_.pop_front()) {
        w->wake(); // without a credit: the sender throws queue_shut_down
    }
}

// --- receiver side -----------------------------------------------------------------------

void channel_core::check_receiver_shard() const noexcept {
    if (this_shard_id() != to_) {
        channel_misuse("a channel_receiver was used on a shard other than its own");
    }
}

void channel_core::on_arrive(runnable& r) noexcept {
    auto& m = static_cast<channel_message&>(static_cast<shard_message&>(r));
    m.core->arrive(m);
}

void channel_core::arrive(channel_message& m) noexcept {
    if (rx_closed_) {
        send_home(m);
        return;
    }
    if (waiter* w = receivers_.pop_front()) {
        auto& next = static_cast<value_node&>(*w);
        next.msg = &m;
        next.wake();
        return;
    }
    m.next = nullptr;
    (tail_ != nullptr ? tail_->next : head_) = &m;
    tail_ = &m;
}

channel_message* channel_core::pop() noexcept {
    channel_message* m = head_;
    if (m != nullptr) {
        head_ = m->next;
        if (head_ == nullptr) {
            tail_ = nullptr;
        }
        m->next = nullptr;
    }
    return m;
}

void channel_core::send_home(channel_message& m) noexcept {
    m.run = &channel_core::on_home;
    deliver(from_, m);
}

void channel_core::give_back(channel_message& m) noexcept {
    if (rx_closed_) {
        send_home(m);
        return;
    }
    if (waiter* w = receivers_.pop_front()) {
        auto& next = static_cast<value_node&>(*w);
        next.msg = &m;
        next.wake();
        return;
    }
    m.next = head_; // it was the oldest: first in line again
    head_ = &m;
    if (tail_ == nullptr) {
        tail_ = &m;
    }
}

void channel_core::close_receiver() noexcept {
    start_close(rx_node_);
}

void channel_core::close_here_as_receiver() noexcept {
    rx_closed_ = true;
    wake_all_receivers();
    while (channel_message* m = pop()) {
        send_home(*m); // dropped: the value is destroyed at home
    }
}

void channel_core::learn_sender_closed() noexcept {
    tx_closed_seen_ = true;
    wake_all_receivers();
}

void channel_core::wake_all_receivers() noexcept {
    while (waiter* w = receivers_.pop_front()) {
        w->wake(); // without a value: the receiver re-checks the buffer, then the close
    }
}

// --- the close handshake -----------------------------------------------------------------

void channel_core::start_close(channel_close_node& node) noexcept {
    if (node.travelling) {
        // Each endpoint closes once; a second close means one endpoint was destroyed twice
        // (GCC 12 does that to a temporary inside a co_await: docs/coroutine-pitfalls.md 3).
        channel_misuse("a channel endpoint was closed twice (destroyed twice?)");
    }
    node.travelling = true;
    retain(); // the node's trip keeps the block
    node.origin = this_shard_id();
    node.at = channel_close_node::stage::own_side;
    route(node, node.of_sender ? from_ : to_, true);
}

void channel_core::on_close_node(runnable& r) noexcept {
    auto& node = static_cast<channel_close_node&>(static_cast<shard_message&>(r));
    node.core->run_stage(node);
}

void channel_core::route(channel_close_node& node, shard_id target, bool may_run_here) noexcept {
    if (may_run_here && target == this_shard_id() && !no_running_loop()) {
        run_stage(node);
        return;
    }
    node.run = &channel_core::on_close_node;
    deliver(target, node);
}

void channel_core::run_stage(channel_close_node& node) noexcept {
    switch (node.at) {
    case channel_close_node::stage::own_side:
        node.at = channel_close_node::stage::peer_side;
        if (node.of_sender) {
            close_here_as_sender();
            // Always through the ring (or the ready queue when both sides share a shard), so
            // the close arrives after every value sent before it.
            route(node, to_, false);
        } else {
            close_here_as_receiver();
            route(node, from_, true);
        }
        return;
    case channel_close_node::stage::peer_side:
        node.at = channel_close_node::stage::home;
        if (node.of_sender) {
            learn_sender_closed();
        } else {
            learn_receiver_closed();
        }
        route(node, node.origin, true);
        return;
    case channel_close_node::stage::home:
        node.travelling = false;
        release(); // may free the block (and this node): nothing after this
        return;
    }
}

} // namespace coreloop::sync::detail
