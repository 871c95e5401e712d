// cond_wait: asyncio's Condition.wait (3.13) as transitions of a runnable: notified (or
// cancelled), then the lock re-acquired whatever happens, a cancel kept until it is held and
// one notification handed on if anything but a plain notification ends the wait (gh-112202).
#include <coreloop/sync/detail/cond_wait.hpp>

#include <utility>

#include <coreloop/detail/context_state.hpp>
#include <coreloop/sync/condition.hpp>

namespace coreloop::sync::detail {

namespace {

/// Makes the waiting task and its context current while its primitive is re-checked from the
/// runnable, as in the task's own step (a wait_for predicate may use current_task() or
/// context variables).
class as_task {
public:
    as_task(coreloop::detail::task_core* t, coreloop::detail::context_state** slot) noexcept
        : outer_(std::exchange(coreloop::detail::tls_current_task, t))
        , context_(slot) {}
    as_task(const as_task&) = delete;
    as_task& operator=(const as_task&) = delete;
    ~as_task() { coreloop::detail::tls_current_task = outer_; }

private:
    coreloop::detail::task_core* outer_;
    coreloop::detail::context_scope context_;
};

} // namespace

cond_wait::cond_wait(condition& c, held_fn on_held) noexcept
    : runnable(&cond_wait::run)
    , cond_(&c)
    , on_held_(on_held) {}

cond_wait::~cond_wait() {
    // The frame is destroyed while waiting (its task dropped at loop close): leave the queues
    // without waking anyone.
    cond_->waiters_.remove(notified_);
    mutex().waiters_.remove(relock_);
}

lock& cond_wait::mutex() const noexcept {
    return *cond_->lock_;
}

void cond_wait::bind(std::coroutine_handle<> h) {
    notified_.bind(h, this);
    relock_.bind(h, this);
    // Called from the task's step: this is the task's own context slot.
    context_slot_ = coreloop::detail::tls_context_slot;
}

bool cond_wait::begin_with_lock() {
    if (mutex().try_acquire_now()) {
        return held();
    }
    phase_ = phase::acquire;
    relock_.rearm();
    mutex().waiters_.push_back(relock_);
    return false;
}

void cond_wait::wait_notified() noexcept {
    mutex().release_held();
    notified_.rearm();
    cond_->waiters_.push_back(notified_);
    phase_ = phase::notify;
}

bool cond_wait::cancel() noexcept {
    switch (phase_) {
    case phase::acquire:
    case phase::relock:
        cancelled_ = true;
        if (relock_.state() == waiter::status::waiting ||
            relock_.state() == waiter::status::woken) {
            // Waiting: leaves the lock's queue (passing the lock on if free); woken: the
            // turn is passed on when the runnable runs.
            mutex().cancel_wait(relock_);
        }
        return true;
    case phase::notify:
        cancelled_ = true;
        if (notified_.state() == waiter::status::waiting) {
            cond_->waiters_.remove(notified_);
            notified_.wake_cancelled();
        }
        return true;
    default:
        return false;
    }
}

void cond_wait::finish() const {
    if (cancelled_) {
        throw notified_.make_cancelled_error();
    }
    if (error_) {
        std::rethrow_exception(error_);
    }
}

void cond_wait::release_lock() noexcept {
    mutex().release_held();
}

void cond_wait::run(coreloop::detail::runnable& self) noexcept {
    auto& w = static_cast<cond_wait&>(self);
    bool done = false;
    {
        as_task scope(w.notified_.task(), w.context_slot_);
        done = w.advance();
    }
    if (done) {
        w.notified_.resume(); // may end the task and free this frame: touch nothing after
    }
}

bool cond_wait::advance() noexcept {
    switch (phase_) {
    case phase::acquire:
        if (!mutex().take_turn(relock_)) {
            phase_ = phase::done; // cancelled before it held the lock: nothing to re-take
            return true;
        }
        return held();
    case phase::notify:
        // Notified or cancelled: either way the lock is taken again first.
        phase_ = phase::relock;
        relock_.disarm();
        return relock();
    case phase::relock:
        if (mutex().take_turn(relock_)) {
            return held();
        }
        relock_.disarm(); // cancelled while queued for the lock: kept, and the lock retried
        return relock();
    default:
        return true;
    }
}

bool cond_wait::relock() noexcept {
    if (mutex().try_acquire_now()) {
        return held();
    }
    relock_.rearm();
    mutex().waiters_.push_back(relock_);
    return false;
}

bool cond_wait::held() noexcept {
    const bool waited = phase_ == phase::relock;
    phase_ = phase::held;
    if (waited && cancelled_) {
        // This task may have been notified before the cancel: hand the notification on.
        cond_->wake(1);
    }
    if (on_held_(*this)) {
        phase_ = phase::done;
        return true;
    }
    return false;
}

} // namespace coreloop::sync::detail
