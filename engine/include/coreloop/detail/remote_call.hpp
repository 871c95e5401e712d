// A call from one shard to another (DESIGN.md "Cross-shard queues"): a heap message made on
// the origin shard, run on the target, sent back on the reverse ring and freed at home. It
// carries the result or the exception back, and the cancellation there and its
// acknowledgement back.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <coreloop/coro.hpp>
#include <coreloop/detail/atomic.hpp>
#include <coreloop/detail/frame_allocator.hpp>
#include <coreloop/detail/ready_queue.hpp>
#include <coreloop/detail/shard_context.hpp>
#include <coreloop/detail/task_core.hpp>
#include <coreloop/outcome.hpp>
#include <coreloop/task.hpp>

namespace coreloop::detail {

/// A message between shards. It is a ready-queue node: the receiving loop drains it from the
/// ring onto its ready queue and runs it in order with the other callbacks. Whoever sends it
/// first sets `run` to what the receiver must do.
struct shard_message : runnable {
    explicit shard_message(shard_id from) noexcept
        : runnable(nullptr)
        , origin(from) {}

    /// The shard that made the message, where it is freed.
    shard_id origin;
};

/// Sends `m` to shard `to`: onto the reverse or forward ring, published at the end of this
/// loop iteration; onto this loop's own ready queue when `to` is this shard.
/// Errors: std::out_of_range if `to` is not a shard of the running engine; std::bad_alloc.
/// Shard: on a loop's thread.
void send_to_shard(shard_id to, shard_message& m);

/// True on a shard whose engine is stopping: calls that arrive then are cancelled.
bool shard_is_stopping() noexcept;

/// The type-independent part of a call: who waits for it, the cancellation handshake, and
/// when it is complete (replied, and if a cancel was sent, acknowledged). Calls come from the
/// origin shard's pool: they are made and freed there only.
///
/// Ownership moves with the message: the origin shard owns it until it is sent, the target
/// from its arrival until its reply, then the origin again. The few fields each side may touch
/// while the other owns the message are marked below; they are never written by both.
class remote_call_base : public shard_message, public pooled {
public:
    remote_call_base(const remote_call_base&) = delete;
    remote_call_base& operator=(const remote_call_base&) = delete;
    virtual ~remote_call_base() = default;

    /// Origin: sends the call to `target`.
    void start(shard_id target);
    /// Origin: the call is over for the origin: the reply arrived, and the acknowledgement of
    /// a cancel if one was sent.
    bool complete() const noexcept { return replied_ && (!cancel_sent_ || cancel_acked_); }
    /// Origin: records the task to wake when the call completes.
    void suspend(task_core& task, std::coroutine_handle<> h) noexcept {
        waiter_ = &task;
        waiting_ = h;
    }
    /// Origin (await_cancel): asks the target to cancel. Returns false when the call is
    /// complete already (the task then throws the cancel when it resumes).
    bool cancel() noexcept;
    /// Origin: nobody will take the result; the message frees itself once complete.
    void abandon() noexcept;
    /// Origin: a call run inline on this shard is over without travelling.
    void replied_here() noexcept { replied_ = true; }

protected:
    explicit remote_call_base(run_fn on_target) noexcept;

    /// Target: whether the origin has asked for a cancel (checked before starting work).
    bool cancel_was_requested() const noexcept {
        // Acquire: pairs with the release store in cancel(); only a flag is read.
        return cancel_requested_.load(std::memory_order_acquire);
    }
    /// Target: sends the message back with its result (set by the derived class) or, if
    /// `cancelled`, as cancelled.
    void reply(bool cancelled);

    /// Origin, when resuming: throws cancelled_error for a call the target cancelled; for a
    /// call that finished although this side asked for a cancel, re-arms that cancel on the
    /// waiting task (the result is delivered, the cancel raised at its next suspension).
    void check_cancelled() const;

    /// Target: the task running a coroutine call (written and read on the target only).
    task_core* remote_task_ = nullptr;

private:
    struct cancel_node : shard_message {
        explicit cancel_node(shard_id from) noexcept
            : shard_message(from) {}
        remote_call_base* call = nullptr;
    };

    static void on_reply(runnable& r) noexcept;
    static void on_cancel(runnable& r) noexcept;
    static void on_cancel_ack(runnable& r) noexcept;
    void finish_if_complete() noexcept;

    // Origin only.
    task_core* waiter_ = nullptr;
    std::coroutine_handle<> waiting_;
    shard_id target_ = 0;
    bool replied_ = false;
    bool cancel_sent_ = false;
    bool cancel_acked_ = false;
    bool abandoned_ = false;
    // Written by the target before the reply, read by the origin after it.
    bool remote_cancelled_ = false;
    // Set by the origin, read by the target.
    atomic<bool> cancel_requested_{false};
    cancel_node cancel_;
};

/// A call whose result is a T.
template <class T>
class remote_call : public remote_call_base {
public:
    /// Origin, once complete: the result, or the exception or cancellation.
    T take() {
        check_cancelled();
        if constexpr (std::is_void_v<T>) {
            std::move(*result_).value();
        } else {
            return std::move(std::move(*result_).value());
        }
    }

protected:
    using remote_call_base::remote_call_base;

    /// Target: stores the outcome of the call (before reply()).
    void set_result(outcome<T> result) { result_.emplace(std::move(result)); }

private:
    std::optional<outcome<T>> result_;
};

/// A plain function's result as an outcome (its exception caught).
template <class T, class Fn>
outcome<T> call_to_outcome(Fn& fn) noexcept {
    try {
        if constexpr (std::is_void_v<T>) {
            fn();
            return outcome<T>(std::monostate{});
        } else {
            return outcome<T>(fn());
        }
    } catch (...) {
        return outcome<T>(std::current_exception());
    }
}

/// What awaiting a coro_fn() gives (coro_fn returns a coro<T>).
template <class Fn>
using coro_result_t = typename std::invoke_result_t<Fn&>::value_type;

template <class Fn>
inline constexpr bool returns_coro = requires {
    typename std::invoke_result_t<Fn&>::promise_type;
};

/// The value type of submit_to(shard, fn): fn's result, or the coro's value type.
template <class Fn>
struct submit_value {
    using type = std::invoke_result_t<Fn&>;
};
template <class Fn>
    requires returns_coro<Fn>
struct submit_value<Fn> {
    using type = coro_result_t<Fn>;
};

/// fn carried to the target and called there; a coro it returns runs as a task there.
template <class Fn>
class call_message final : public remote_call<typename submit_value<Fn>::type> {
public:
    using value_type = typename submit_value<Fn>::type;

    explicit call_message(Fn fn)
        : remote_call<value_type>(&call_message::run_on_target)
        , fn_(std::move(fn)) {}

    /// Origin: runs a plain fn here and now, as a call to this shard that already replied.
    void run_inline() noexcept {
        this->set_result(call_to_outcome<value_type>(fn_));
        this->replied_here();
    }

private:
    static void run_on_target(runnable& r) noexcept {
        auto& self = static_cast<call_message&>(static_cast<shard_message&>(r));
        if (self.cancel_was_requested()) {
            self.reply(true); // cancelled before it started: fn never runs
            return;
        }
        if constexpr (returns_coro<Fn>) {
            try {
                // Eager: the body is entered at once, so a cancel that arrives later always
                // finds a started task that will reply.
                task<void> t = create_task(run_as_task(self), task_options{.eager_start = true});
                if (shard_is_stopping() && !t.done()) {
                    t.cancel();
                }
            } catch (...) {
                self.set_result(outcome<value_type>(std::current_exception()));
                self.reply(false);
            }
        } else {
            self.set_result(call_to_outcome<value_type>(self.fn_));
            self.reply(false);
        }
    }

    // The task on the target. Its reference to `self` ends with reply(): the message belongs
    // to the origin from then on.
    static coro<void> run_as_task(call_message& self) {
        self.remote_task_ = current_task_core();
        bool cancelled = false;
        try {
            if constexpr (std::is_void_v<value_type>) {
                co_await self.fn_();
                self.set_result(outcome<void>(std::monostate{}));
            } else {
                value_type value = co_await self.fn_();
                self.set_result(outcome<value_type>(std::move(value)));
            }
        } catch (const cancelled_error&) {
            cancelled = true;
        } catch (...) {
            self.set_result(outcome<value_type>(std::current_exception()));
        }
        self.remote_task_ = nullptr;
        self.reply(cancelled);
    }

    Fn fn_;
};

} // namespace coreloop::detail
