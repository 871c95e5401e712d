// handle and timer_handle: what call_soon, call_later and call_at return (asyncio.Handle,
// asyncio.TimerHandle).
#pragma once

#include <cstdint>
#include <utility>

#include <coreloop/detail/callback.hpp>
#include <coreloop/detail/frame_allocator.hpp>
#include <coreloop/detail/loop_core.hpp>
#include <coreloop/detail/ready_queue.hpp>
#include <coreloop/detail/timer_queue.hpp>

namespace coreloop {

namespace detail {

/// A scheduled callback: on the ready queue (call_soon) or in the timer heap (call_later).
/// Referenced by the queue or heap that holds it and by each handle.
class handle_state final : public runnable, public timer_entry, public pooled {
public:
    template <class F>
    handle_state(loop_core& loop, F&& fn)
        : runnable(&handle_state::run_it, &handle_state::drop)
        , timer_entry(&handle_state::fire_it, &handle_state::drop_timer)
        , loop_(loop)
        , fn_(std::forward<F>(fn)) {}

    void add_ref() noexcept { ++refs_; }
    void release() noexcept {
        if (--refs_ == 0) {
            delete this;
        }
    }
    /// Stops the callback from running and frees what it captured now.
    void cancel() noexcept;
    bool cancelled() const noexcept { return cancelled_; }
    loop_core& loop() const noexcept { return loop_; }

private:
    static void run_it(runnable& r) noexcept;
    static void drop(runnable& r) noexcept { static_cast<handle_state&>(r).release(); }
    static void drop_timer(timer_entry& t) noexcept { static_cast<handle_state&>(t).release(); }
    static void fire_it(timer_entry& t) noexcept {
        auto& self = static_cast<handle_state&>(t);
        self.loop_.schedule(self); // the heap's reference passes to the ready queue
    }

    loop_core& loop_;
    callback fn_;
    std::uint32_t refs_ = 1;
    bool cancelled_ = false;
};

} // namespace detail

/// A callback scheduled with call_soon. Copies refer to the same callback.
/// Shard: use only on the loop that made it.
class handle {
public:
    handle() noexcept = default;
    explicit handle(detail::handle_state* state) noexcept
        : state_(state) {}
    handle(const handle& other) noexcept
        : state_(other.state_) {
        if (state_ != nullptr) {
            state_->add_ref();
        }
    }
    handle(handle&& other) noexcept
        : state_(std::exchange(other.state_, nullptr)) {}
    handle& operator=(handle other) noexcept {
        std::swap(state_, other.state_);
        return *this;
    }
    ~handle() {
        if (state_ != nullptr) {
            state_->release();
        }
    }

    /// Keeps the callback from running (no-op if it ran already). Frees its captures now.
    void cancel() noexcept {
        if (state_ != nullptr) {
            state_->cancel();
        }
    }
    bool cancelled() const noexcept { return state_ != nullptr && state_->cancelled(); }

protected:
    detail::handle_state* state_ = nullptr;
};

/// A callback scheduled with call_later or call_at.
class timer_handle : public handle {
public:
    using handle::handle;

    /// When the callback is scheduled to run, on the loop's clock.
    detail::clock::time_point when() const noexcept { return state_->deadline; }
};

} // namespace coreloop
