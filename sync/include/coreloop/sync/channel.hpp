// make_channel<T>(from, to, capacity): a bounded channel from a task on one shard to a task on
// another (Glommio's shared_channel, SPEC §15), built on the engine's message rings with
// credits: each value travels in its own message and comes back home empty to free its slot.
#pragma once

#include <coroutine>
#include <cstddef>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <coreloop/shard.hpp>
#include <coreloop/sync/detail/channel_core.hpp>
#include <coreloop/sync/exceptions.hpp>

namespace coreloop::sync {

template <class T>
class channel_sender;
template <class T>
class channel_receiver;

namespace detail {

/// A value on its way: made on the sender shard, freed there when it comes back.
template <class T>
struct value_message final : channel_message {
    template <class U>
    value_message(channel_core& c, U&& v)
        : channel_message(c)
        , value(std::forward<U>(v)) {}

    T value;
};

/// Sender shard, a credit reserved: sends `value` in a message of its own.
/// Errors: std::bad_alloc, or what T's constructor throws (nothing is sent).
template <class T, class U>
void send_value(channel_core& core, U&& value) {
    auto m = std::make_unique<value_message<T>>(core, std::forward<U>(value));
    core.post(*m);
    m.release(); // it belongs to its trip now
}

/// Receiver shard: moves the value out of m and sends m home. If moving throws, m stays
/// first in line.
template <class T>
T take_value(channel_core& core, channel_message& m) {
    auto& vm = static_cast<value_message<T>&>(m);
    if constexpr (std::is_nothrow_move_constructible_v<T>) {
        T out(std::move(vm.value));
        core.send_home(m);
        return out;
    } else {
        std::optional<T> out;
        try {
            out.emplace(std::move(vm.value));
        } catch (...) {
            core.give_back(m);
            throw;
        }
        core.send_home(m);
        return std::move(*out);
    }
}

} // namespace detail

/// Makes a channel of T from shard `from` to shard `to` holding up to `capacity` values not yet
/// received (and not yet back on `from`). The endpoints may be made on any shard and moved to
/// theirs (into a submit_to call, for example); `from` may equal `to`.
/// Errors: std::invalid_argument for capacity 0; std::out_of_range for a shard that the
/// running engine does not have (outside an engine only shard 0 exists); std::bad_alloc.
/// Shard: any shard of the engine that will run both ends.
template <class T>
std::pair<channel_sender<T>, channel_receiver<T>>
make_channel(shard_id from, shard_id to, std::size_t capacity) {
    detail::channel_core* core = detail::channel_core::make(from, to, capacity);
    return {channel_sender<T>(*core), channel_receiver<T>(*core)};
}

/// The sending end of a channel made by make_channel. Move-only; an empty (moved-from or
/// default) sender may only be destroyed or assigned to. Destroying it closes it.
/// Shard: use it on the channel's sender shard; see close() for where it may be closed.
template <class T>
class channel_sender {
public:
    class send_awaiter;

    /// An empty sender.
    channel_sender() noexcept = default;
    channel_sender(channel_sender&& other) noexcept
        : core_(std::exchange(other.core_, nullptr))
        , closed_(std::exchange(other.closed_, false)) {}
    channel_sender& operator=(channel_sender&& other) noexcept {
        if (this != &other) {
            reset();
            core_ = std::exchange(other.core_, nullptr);
            closed_ = std::exchange(other.closed_, false);
        }
        return *this;
    }
    /// Closes the sender (see close()).
    ~channel_sender() { reset(); }

    /// `co_await tx.send(value)` sends value, first waiting (FIFO among senders) while
    /// capacity() values are away: sent and not yet received and returned.
    /// Errors: queue_shut_down if this sender or the receiver is (or gets) closed (a value
    /// sent before the close reached this shard is dropped by the receiver); std::bad_alloc.
    /// Cancellation: nothing is sent (the value is dropped); a credit handed to a sender that
    /// is then cancelled goes to the next sender.
    /// Shard: inside a task on the sender shard.
    [[nodiscard]] send_awaiter send(T value) {
        check();
        if (closed_) {
            throw queue_shut_down("channel is closed");
        }
        return send_awaiter(*core_, std::move(value));
    }

    /// Sends value now if a credit is free; false (value untouched) if capacity() values are
    /// away. Errors: queue_shut_down if this sender or the receiver is closed; std::bad_alloc.
    /// Shard: the sender shard.
    bool try_send(const T& value) { return try_send_impl(value); }
    /// As try_send(const T&), moving the value only when it is sent.
    bool try_send(T&& value) { return try_send_impl(std::move(value)); }

    /// Closes the sender: the receiver gets every value sent so far, then queue_shut_down;
    /// tasks waiting in send() here throw queue_shut_down. Does nothing if closed already.
    /// Errors: none. Cancellation: none (the close travels on its own).
    /// Shard: any shard of the running engine (the close goes to the sender shard first, so
    /// it follows every value sent), or any thread when no engine runs.
    void close() noexcept {
        if (core_ != nullptr && !closed_) {
            closed_ = true;
            core_->close_sender();
        }
    }

    /// Whether send() would throw queue_shut_down now (closed here, or the receiver's close
    /// has arrived). Shard: the sender shard.
    bool is_closed() const noexcept {
        return core_ == nullptr || closed_ || core_->sender_closed();
    }
    /// Values the channel holds away at most. Shard: any.
    std::size_t capacity() const noexcept { return core_ == nullptr ? 0 : core_->capacity(); }
    /// The shard this end sends from. Shard: any.
    shard_id shard() const noexcept { return core_ == nullptr ? 0 : core_->sender_shard(); }

private:
    template <class U>
    friend std::pair<channel_sender<U>, channel_receiver<U>>
            make_channel(shard_id, shard_id, std::size_t);

    explicit channel_sender(detail::channel_core& core) noexcept
        : core_(&core) {}

    void check() const noexcept {
        if (core_ == nullptr) {
            detail::channel_misuse("an empty channel_sender was used");
        }
        core_->check_sender_shard();
    }

    template <class U>
    bool try_send_impl(U&& value) {
        check();
        if (closed_ || core_->sender_closed()) {
            throw queue_shut_down("channel is closed");
        }
        if (!core_->has_credit()) {
            return false;
        }
        core_->reserve();
        try {
            detail::send_value<T>(*core_, std::forward<U>(value));
        } catch (...) {
            core_->unreserve();
            throw;
        }
        return true;
    }

    void reset() noexcept {
        if (core_ != nullptr) {
            close();
            std::exchange(core_, nullptr)->release();
        }
        closed_ = false;
    }

    detail::channel_core* core_ = nullptr;
    bool closed_ = false;
};

/// What channel_sender::send() returns; co_await it once.
template <class T>
class [[nodiscard]] channel_sender<T>::send_awaiter {
public:
    send_awaiter(detail::channel_core& core, T value)
        : core_(&core)
        , value_(std::move(value))
        , wait_(core) {}
    // Moved only before it is awaited (into the suspension wrapper).
    send_awaiter(send_awaiter&& other)
        : core_(other.core_)
        , value_(std::move(other.value_))
        , wait_(*other.core_) {}
    send_awaiter& operator=(send_awaiter&&) = delete;
    ~send_awaiter() = default;

    bool await_ready() const noexcept { return wait_.ready(); }
    bool await_suspend(std::coroutine_handle<> h) { return wait_.suspend(h); }
    bool await_cancel() noexcept { return wait_.cancel(); }
    void await_resume() {
        wait_.acquire();
        try {
            detail::send_value<T>(*core_, std::move(value_));
        } catch (...) {
            wait_.give_back();
            throw;
        }
        wait_.spent();
    }

private:
    detail::channel_core* core_;
    T value_;
    detail::credit_wait wait_;
};

/// The receiving end of a channel made by make_channel. Move-only; an empty (moved-from or
/// default) receiver may only be destroyed or assigned to. Destroying it closes it.
/// Shard: use it on the channel's receiver shard; see close() for where it may be closed.
/// An engine stops only once every value sent has come back home: a receiver holding values
/// must be closed or destroyed by then (a task's frame is, when the engine cancels it).
template <class T>
class channel_receiver {
public:
    class recv_awaiter;

    /// An empty receiver.
    channel_receiver() noexcept = default;
    channel_receiver(channel_receiver&& other) noexcept
        : core_(std::exchange(other.core_, nullptr))
        , closed_(std::exchange(other.closed_, false)) {}
    channel_receiver& operator=(channel_receiver&& other) noexcept {
        if (this != &other) {
            reset();
            core_ = std::exchange(other.core_, nullptr);
            closed_ = std::exchange(other.closed_, false);
        }
        return *this;
    }
    /// Closes the receiver (see close()).
    ~channel_receiver() { reset(); }

    /// `co_await rx.recv()` takes the oldest value, first waiting (FIFO among receivers) while
    /// none has arrived.
    /// Errors: queue_shut_down once the sender closed and every value it sent was taken, or
    /// once this receiver is closed.
    /// Cancellation: no value is taken; a value handed to a receiver that is then cancelled
    /// stays first in line.
    /// Shard: inside a task on the receiver shard.
    [[nodiscard]] recv_awaiter recv() {
        check();
        if (closed_) {
            throw queue_shut_down("channel is closed");
        }
        return recv_awaiter(*core_);
    }

    /// Takes the oldest value now; nullopt if none has arrived.
    /// Errors: queue_shut_down if none will come (as recv()).
    /// Shard: the receiver shard.
    std::optional<T> try_recv() {
        check();
        if (closed_ || core_->receiver_closed()) {
            throw queue_shut_down("channel is closed");
        }
        if (detail::channel_message* m = core_->pop()) {
            return detail::take_value<T>(*core_, *m);
        }
        if (core_->receiver_done()) {
            throw queue_shut_down("channel is closed");
        }
        return std::nullopt;
    }

    /// Closes the receiver: values buffered or still arriving are dropped (destroyed on the
    /// sender shard); tasks waiting in recv() here and later sends throw queue_shut_down.
    /// Does nothing if closed already.
    /// Errors: none. Cancellation: none (the close travels on its own).
    /// Shard: any shard of the running engine (the close goes to the receiver shard first),
    /// or any thread when no engine runs.
    void close() noexcept {
        if (core_ != nullptr && !closed_) {
            closed_ = true;
            core_->close_receiver();
        }
    }

    /// Whether recv() would throw queue_shut_down now. Shard: the receiver shard.
    bool is_closed() const noexcept {
        return core_ == nullptr || closed_ || core_->receiver_done();
    }
    /// Values the channel holds away at most. Shard: any.
    std::size_t capacity() const noexcept { return core_ == nullptr ? 0 : core_->capacity(); }
    /// The shard this end receives on. Shard: any.
    shard_id shard() const noexcept { return core_ == nullptr ? 0 : core_->receiver_shard(); }

private:
    template <class U>
    friend std::pair<channel_sender<U>, channel_receiver<U>>
            make_channel(shard_id, shard_id, std::size_t);

    explicit channel_receiver(detail::channel_core& core) noexcept
        : core_(&core) {}

    void check() const noexcept {
        if (core_ == nullptr) {
            detail::channel_misuse("an empty channel_receiver was used");
        }
        core_->check_receiver_shard();
    }

    void reset() noexcept {
        if (core_ != nullptr) {
            close();
            std::exchange(core_, nullptr)->release();
        }
        closed_ = false;
    }

    detail::channel_core* core_ = nullptr;
    bool closed_ = false;
};

/// What channel_receiver::recv() returns; co_await it once.
template <class T>
class [[nodiscard]] channel_receiver<T>::recv_awaiter {
public:
    explicit recv_awaiter(detail::channel_core& core) noexcept
        : core_(&core)
        , wait_(core) {}
    // Moved only before it is awaited (into the suspension wrapper).
    recv_awaiter(recv_awaiter&& other) noexcept
        : core_(other.core_)
        , wait_(*other.core_) {}
    recv_awaiter& operator=(recv_awaiter&&) = delete;
    ~recv_awaiter() = default;

    bool await_ready() const noexcept { return wait_.ready(); }
    bool await_suspend(std::coroutine_handle<> h) { return wait_.suspend(h); }
    bool await_cancel() noexcept { return wait_.cancel(); }
    T await_resume() { return detail::take_value<T>(*core_, wait_.take()); }

private:
    detail::channel_core* core_;
    detail::value_wait wait_;
};

} // namespace coreloop::sync
