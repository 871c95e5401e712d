// The type-independent half of a cross-shard channel (channel.hpp): the control block the two
// endpoints share, the messages that carry values and closes between their shards, and the
// waiter nodes of send() and recv(). Not API: use channel.hpp.
#pragma once

#include <coroutine>
#include <cstddef>

#include <coreloop/detail/atomic.hpp>
#include <coreloop/detail/remote_call.hpp>
#include <coreloop/sync/detail/waiter.hpp>

namespace coreloop::sync::detail {

using coreloop::detail::shard_id;

class channel_core;

/// Aborts the process with `what` (a bug: an endpoint used on the wrong shard, or empty).
[[noreturn]] void channel_misuse(const char* what) noexcept;

/// One value's message: made on the sender shard, sent to the receiver shard, queued there until
/// recv() moves the value out, then sent back home, where it is freed and returns its credit.
/// value_message<T> (channel.hpp) adds the value.
struct channel_message : coreloop::detail::shard_message {
    explicit channel_message(channel_core& c) noexcept;
    channel_message(const channel_message&) = delete;
    channel_message& operator=(const channel_message&) = delete;
    virtual ~channel_message() = default;

    channel_core* core;
    channel_message* next = nullptr; // in the receiver's buffer
};

/// A close on its way: it visits the closing side's shard, then the other side's, then goes home
/// to the shard that closed (where it was "made"), so that shard counts it as away meanwhile.
struct channel_close_node : coreloop::detail::shard_message {
    enum class stage : unsigned char { own_side, peer_side, home };

    channel_close_node() noexcept
        : shard_message(0) {}

    channel_core* core = nullptr;
    stage at = stage::own_side;
    bool of_sender = false;
    bool travelling = false; // its close started and it is not home yet
};

/// A task waiting in send() for a credit. Woken with a credit reserved for it (has_credit), or
/// by a close (without).
struct credit_node : waiter {
    bool has_credit = false;
};

/// A task waiting in recv() for a value. Woken with a value's message handed to it (msg), or by
/// a close (without).
struct value_node : waiter {
    channel_message* msg = nullptr;
};

/// The control block of one channel. Each field belongs to one shard (marked below) and is only
/// touched there; what one side tells the other travels in a message on the rings, which give
/// the happens-before. Only the reference count is shared.
///
/// References: one per live endpoint, one while any credit is used (a value is away or a
/// woken sender holds a credit), one per close node travelling, one per suspended task. The last
/// one frees the block, on whichever shard drops it; the block holds no value and nothing tied to a
/// shard.
class channel_core {
public:
    /// Errors: std::invalid_argument for capacity 0; std::bad_alloc.
    static channel_core* make(shard_id from, shard_id to, std::size_t capacity);

    channel_core(const channel_core&) = delete;
    channel_core& operator=(const channel_core&) = delete;

    shard_id sender_shard() const noexcept { return from_; }
    shard_id receiver_shard() const noexcept { return to_; }
    std::size_t capacity() const noexcept { return capacity_; }

    /// Any thread: takes one more reference (a task suspended on the channel holds one, so
    /// the block outlives an endpoint destroyed while the task waits).
    void retain() noexcept;
    /// Any thread: drops a reference (an endpoint's, after it closed its side).
    void release() noexcept;

    // --- sender side, on from_ ---

    /// Aborts with a message unless called on the sender shard.
    void check_sender_shard() const noexcept;
    /// The sender closed, or it learned that the receiver did: sends throw queue_shut_down.
    bool sender_closed() const noexcept { return tx_closed_ || rx_closed_seen_; }
    /// A credit is free (never while senders wait: returning credits go to them first).
    bool has_credit() const noexcept { return used_ < capacity_; }
    /// Takes a free credit.
    void reserve() noexcept;
    /// Gives a credit back: to the first waiting sender, else to the pool.
    void unreserve() noexcept;
    /// Sends m (its credit reserved) to the receiver. Errors: std::bad_alloc (m not sent).
    void post(channel_message& m);
    /// Closes the sender's side from any shard (or from no loop, when no engine runs).
    void close_sender() noexcept;

    // --- receiver side, on to_ ---

    /// Aborts with a message unless called on the receiver shard.
    void check_receiver_shard() const noexcept;
    /// No value will come: the receiver closed, or the sender did and the buffer is empty.
    bool receiver_done() const noexcept {
        return rx_closed_ || (tx_closed_seen_ && head_ == nullptr);
    }
    /// The receiver closed: values that arrive now go straight back.
    bool receiver_closed() const noexcept { return rx_closed_; }
    bool has_value() const noexcept { return head_ != nullptr; }
    /// The oldest buffered message, unlinked; nullptr if none.
    channel_message* pop() noexcept;
    /// Sends m (its value taken or to be dropped) home, where it frees itself and returns its
    /// credit. Never fails: a message that cannot travel ends the process (std::terminate), as
    /// the engine would otherwise wait for it forever.
    void send_home(channel_message& m) noexcept;
    /// A message taken but not consumed goes back first in line (or home once closed).
    void give_back(channel_message& m) noexcept;
    /// Closes the receiver's side from any shard (or from no loop, when no engine runs).
    void close_receiver() noexcept;

    // --- waiting ---

    /// Sender shard: queues a waiting sender.
    void wait_for_credit(credit_node& w) noexcept { senders_.push_back(w); }
    /// Sender shard: unlinks a sender that leaves its wait.
    void stop_waiting(credit_node& w) noexcept { senders_.remove(w); }
    /// Receiver shard: queues a waiting receiver.
    void wait_for_value(value_node& w) noexcept { receivers_.push_back(w); }
    /// Receiver shard: unlinks a receiver that leaves its wait.
    void stop_waiting(value_node& w) noexcept { receivers_.remove(w); }

private:
    channel_core(shard_id from, shard_id to, std::size_t capacity) noexcept;
    ~channel_core() = default;

    static void on_arrive(coreloop::detail::runnable& r) noexcept;
    static void on_home(coreloop::detail::runnable& r) noexcept;
    static void on_close_node(coreloop::detail::runnable& r) noexcept;

    void arrive(channel_message& m) noexcept;
    void credit_home() noexcept;
    void start_close(channel_close_node& node) noexcept;
    void run_stage(channel_close_node& node) noexcept;
    void route(channel_close_node& node, shard_id target, bool may_run_here) noexcept;
    void close_here_as_sender() noexcept;
    void close_here_as_receiver() noexcept;
    void learn_sender_closed() noexcept;
    void learn_receiver_closed() noexcept;
    void wake_all_senders() noexcept;
    void wake_all_receivers() noexcept;

    const shard_id from_;
    const shard_id to_;
    const std::size_t capacity_;
    // Shared: acq_rel decrements (see release()).
    coreloop::detail::atomic<unsigned> refs_{2};
    // The close nodes, each sent at most once (an endpoint closes once).
    channel_close_node tx_node_;
    channel_close_node rx_node_;

    // Sender shard only.
    waiter_list senders_;
    std::size_t used_ = 0; // values away plus credits handed to woken senders
    bool tx_closed_ = false;
    bool rx_closed_seen_ = false;

    // Receiver shard only.
    waiter_list receivers_;
    channel_message* head_ = nullptr; // arrived, not yet received, oldest first
    channel_message* tail_ = nullptr;
    bool rx_closed_ = false;
    bool tx_closed_seen_ = false;
};

/// The waiting half of send(), kept in its awaiter (no allocation per wait).
class credit_wait {
public:
    explicit credit_wait(channel_core& c) noexcept
        : core_(&c) {}
    credit_wait(const credit_wait&) = delete;
    credit_wait& operator=(const credit_wait&) = delete;
    ~credit_wait();

    /// Whether acquire() can run without waiting (a credit is free, or the channel is closed).
    bool ready() const noexcept { return core_->sender_closed() || core_->has_credit(); }
    /// Queues the task; false (no suspension) if ready(). Errors: std::runtime_error outside a
    /// task.
    bool suspend(std::coroutine_handle<> h);
    /// await_cancel: true while suspended (the wait ends with cancelled_error).
    bool cancel() noexcept;
    /// After ready() or the wake-up: holds a credit on return.
    /// Errors: cancelled_error; queue_shut_down (no credit kept in either case).
    void acquire();
    /// The credit went with a message.
    void spent() noexcept { node_.has_credit = false; }
    /// Gives an unspent credit back (the send failed).
    void give_back() noexcept;

private:
    channel_core* core_;
    credit_node node_;
    bool retained_ = false;
};

/// The waiting half of recv(), kept in its awaiter (no allocation per wait).
class value_wait {
public:
    explicit value_wait(channel_core& c) noexcept
        : core_(&c) {}
    value_wait(const value_wait&) = delete;
    value_wait& operator=(const value_wait&) = delete;
    ~value_wait();

    /// Whether take() can run without waiting (a value is buffered, or none will come).
    bool ready() const noexcept { return core_->has_value() || core_->receiver_done(); }
    /// Queues the task; false (no suspension) if ready(). Errors: std::runtime_error outside a
    /// task.
    bool suspend(std::coroutine_handle<> h);
    /// await_cancel: true while suspended (the wait ends with cancelled_error).
    bool cancel() noexcept;
    /// After ready() or the wake-up: the message whose value is the caller's to move out.
    /// Errors: cancelled_error; queue_shut_down (no value taken in either case).
    channel_message& take();

private:
    channel_core* core_;
    value_node node_;
    bool retained_ = false;
};

} // namespace coreloop::sync::detail
