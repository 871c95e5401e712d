// submit_to: run a function on another shard and await its result there (Seastar's
// smp::submit_to), with asyncio's cancellation carried across.
#pragma once

#include <coroutine>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <coreloop/detail/remote_call.hpp>
#include <coreloop/shard.hpp>

namespace coreloop {

/// A call sent to a shard by submit_to: await it (once) for the result. Move-only.
///
/// The call is sent when the submission is made, not when it is awaited (as Seastar's
/// futures and asyncio's run_in_executor): several submissions made before the first await
/// travel in one batch. A submission dropped unawaited lets the call run to its end and
/// discards its outcome.
/// Errors: await gives the value, or rethrows the exception fn threw on the target.
/// Cancellation: cancelling the awaiting task cancels the call on the target (a coro's task
/// there is cancelled; a plain function that has not started never starts, one that started
/// runs to its end); the task resumes once the target has acknowledged, with cancelled_error
/// or, if the call had finished first, with its result and the cancel re-armed for the next
/// suspension (nothing is lost). A task cancelled on the target ends the await with
/// cancelled_error.
/// Shard: await on the shard that made it.
template <class T>
class [[nodiscard]] submission {
public:
    explicit submission(detail::remote_call<T>* call) noexcept
        : call_(call) {}
    submission(submission&& other) noexcept
        : call_(std::exchange(other.call_, nullptr)) {}
    submission& operator=(submission&& other) noexcept {
        if (this != &other) {
            drop();
            call_ = std::exchange(other.call_, nullptr);
        }
        return *this;
    }
    ~submission() { drop(); }

    /// Whether the call is over (its result can be taken without waiting).
    bool done() const noexcept { return call_ != nullptr && call_->complete(); }

    // A moved-from or already awaited submission is "ready", so await_resume reports the bug.
    bool await_ready() const noexcept { return call_ == nullptr || call_->complete(); }
    void await_suspend(std::coroutine_handle<> h) {
        detail::task_core* task = detail::current_task_core();
        if (task == nullptr) {
            throw std::runtime_error("a submission can only be awaited inside a task");
        }
        call_->suspend(*task, h);
    }
    bool await_cancel() noexcept { return call_->cancel(); }
    T await_resume() {
        if (call_ == nullptr) {
            throw std::logic_error("submission awaited twice");
        }
        struct release_call {
            submission& s;
            ~release_call() { s.drop(); }
        } release{*this};
        return call_->take();
    }

private:
    void drop() noexcept {
        if (call_ == nullptr) {
            return;
        }
        if (call_->complete()) {
            delete call_;
        } else {
            call_->abandon();
        }
        call_ = nullptr;
    }

    detail::remote_call<T>* call_;
};

/// Calls fn() on shard `shard` and gives its result. fn may return a plain value (it runs to
/// its end as a callback on the target) or a coro<T> (it runs there as a task). On this
/// shard, a plain fn runs at once, inline; a coro runs as a task here.
/// fn is moved into the message, called on the target, and destroyed with the message back on
/// this shard; what it captures must be safe to use there (values, pointers to the target's
/// objects, foreign_ptr), and its result is moved back here. With GCC 12, a lambda that
/// captures by value must be named before a co_await expression, not written inside it
/// (docs/coroutine-pitfalls.md, item 8).
/// Errors: std::out_of_range if `shard` is not a shard of this engine (outside an engine, only
/// shard 0 exists); std::bad_alloc.
/// Cancellation: see submission.
/// Shard: on a shard's loop thread (or a plain loop's, for shard 0).
template <class Fn>
submission<typename detail::submit_value<std::decay_t<Fn>>::type> submit_to(shard_id shard,
                                                                            Fn&& fn) {
    using message = detail::call_message<std::decay_t<Fn>>;
    using value_type = typename message::value_type;
    if (shard >= shard_count()) {
        throw std::out_of_range("submit_to: no shard " + std::to_string(shard));
    }
    auto* call = new message(std::forward<Fn>(fn));
    if constexpr (!detail::returns_coro<std::decay_t<Fn>>) {
        if (shard == this_shard_id()) {
            call->run_inline();
            return submission<value_type>(call);
        }
    }
    try {
        call->start(shard);
    } catch (...) {
        delete call;
        throw;
    }
    return submission<value_type>(call);
}

} // namespace coreloop
