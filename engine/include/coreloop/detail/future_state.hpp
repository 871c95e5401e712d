// The shared state behind future<T> and task<T>: single-shard, a plain reference count, no
// atomics. A task's state is its coroutine promise, so a task is one allocation.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <coreloop/detail/frame_allocator.hpp>
#include <coreloop/detail/loop_core.hpp>
#include <coreloop/exceptions.hpp>

namespace coreloop::detail {

enum class future_status : std::uint8_t { pending, result, exception, cancelled };

/// A node in a future's list of what to notify when it is done: an awaiting coroutine or a
/// done callback. notify() runs at completion and must only make something ready.
struct done_waiter {
    using notify_fn = void (*)(done_waiter& self) noexcept;

    explicit done_waiter(notify_fn fn, std::uint64_t callback_id = 0) noexcept
        : notify(fn)
        , id(callback_id) {}

    notify_fn notify;
    notify_fn discard = nullptr; // frees a node left waiting when its future goes away
    std::uint64_t id;            // non-zero for add_done_callback nodes
    done_waiter* next = nullptr;
    done_waiter* prev = nullptr;
    bool linked = false;
};

class future_state_base {
public:
    future_state_base() noexcept = default;
    future_state_base(const future_state_base&) = delete;
    future_state_base& operator=(const future_state_base&) = delete;

    void add_ref() noexcept { ++refs_; }
    void release() noexcept {
        if (--refs_ == 0) {
            on_last_release();
        }
    }

    bool done() const noexcept { return status_ != future_status::pending; }
    bool cancelled() const noexcept { return status_ == future_status::cancelled; }
    future_status status() const noexcept { return status_; }
    loop_core* loop() const noexcept { return loop_; }
    bool is_task() const noexcept { return is_task_; }

    /// Throws what result() throws when there is no value: invalid_state_error if pending,
    /// cancelled_error if cancelled, the stored exception. Marks the exception retrieved.
    void check_result();
    /// The stored exception (nullptr if none); cancelled_error if cancelled; invalid_state_error
    /// if pending.
    std::exception_ptr exception();
    /// asyncio's cancel(): on a future, cancels it at once; on a task, requests cancellation.
    virtual bool cancel(std::string message);

    void set_exception(std::exception_ptr e);
    /// Ends the future as cancelled with `message` (no-op returning false if done).
    bool set_cancelled(std::string message) noexcept;
    const std::string& cancel_message() const noexcept {
        static const std::string none;
        return cancel_message_ ? *cancel_message_ : none;
    }
    void set_cancel_message(std::string message);
    /// Makes this state a task's on `loop`.
    void bind_task(loop_core& loop) noexcept { init_state(&loop, true); }
    cancelled_error make_cancelled_error() const { return cancelled_error(cancel_message()); }

    void add_waiter(done_waiter& w) noexcept;
    void remove_waiter(done_waiter& w) noexcept;
    /// Removes the done callbacks registered under `id`; returns how many.
    std::size_t remove_callback(std::uint64_t id) noexcept;
    std::uint64_t next_callback_id() noexcept { return ++callback_ids_; }

    void mark_retrieved() noexcept { retrieved_ = true; }

    /// A task's coroutine returned (value already stored) or threw (exception_ set): record
    /// the outcome, a cancelled_error escaping meaning "cancelled", and notify the waiters.
    void finish_from_coroutine() noexcept;
    /// A task frame's last reference is gone: report an unretrieved exception, naming `task`.
    /// Returns true if the exception handler kept a handle, so the frame must stay.
    bool release_task_frame(task_core& task) noexcept;

protected:
    ~future_state_base() = default;

    /// Records the outcome and makes every waiter ready, in the order they were added.
    void complete(future_status status) noexcept;
    void check_pending() const;
    /// Tells the loop's exception handler about an exception nobody retrieved. Returns true
    /// if the handler kept a handle to the state (which then must not be freed yet).
    bool report_if_unretrieved(task_core* task = nullptr) noexcept;
    /// Called when the last handle goes away.
    virtual void on_last_release() noexcept = 0;

    /// Gives the members without initializer their starting values: a standalone future does
    /// it at construction, a coroutine when it becomes a task (bind_task). A coroutine that is
    /// only awaited inline never reads them, and co_await of a coro stays a handful of stores.
    void init_state(loop_core* loop, bool task) noexcept {
        loop_ = loop;
        refs_ = 1;
        status_ = future_status::pending;
        retrieved_ = false;
        is_task_ = task;
        waiters_head_ = waiters_tail_ = nullptr;
        callback_ids_ = 0;
    }

    // Set by init_state (see there).
    loop_core* loop_;
    std::uint32_t refs_;
    future_status status_;
    bool retrieved_;
    bool is_task_;
    done_waiter* waiters_head_;
    done_waiter* waiters_tail_;
    std::uint64_t callback_ids_;
    // Used by every coroutine (the outcome of an inline await) and read by the destructor.
    std::exception_ptr exception_;
    // Allocated only when a message is given: every coroutine frame carries this state.
    std::unique_ptr<std::string> cancel_message_;
};

/// Storage for the value of a future<T>.
template <class T>
class future_state : public future_state_base {
public:
    void set_result(T value) {
        check_pending();
        value_.emplace(std::move(value));
        complete(future_status::result);
    }
    template <class... Args>
    void emplace_result(Args&&... args) {
        value_.emplace(std::forward<Args>(args)...);
        complete(future_status::result);
    }
    T& value() {
        check_result();
        return *value_;
    }

protected:
    ~future_state() = default;
    std::optional<T> value_;
};

template <>
class future_state<void> : public future_state_base {
public:
    void set_result() {
        check_pending();
        complete(future_status::result);
    }
    void emplace_result() { complete(future_status::result); }
    void value() { check_result(); }

protected:
    ~future_state() = default;
};

/// A standalone future's state (loop.create_future()), allocated from the frame pool.
template <class T>
class standalone_future_state final : public future_state<T>, public pooled {
public:
    explicit standalone_future_state(loop_core& loop) noexcept {
        this->init_state(&loop, false);
        ++loop.live_futures;
    }

private:
    ~standalone_future_state() = default;
    void on_last_release() noexcept override {
        if (this->report_if_unretrieved()) {
            return;
        }
        --this->loop_->live_futures;
        delete this;
    }
};

} // namespace coreloop::detail
