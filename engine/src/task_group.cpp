// task_group: asyncio's TaskGroup bookkeeping (_on_task_done, _abort, __aexit__), with the
// parent-cancel accounting that keeps an enclosing timeout working.
#include <coreloop/task_group.hpp>

#include <cassert>
#include <stdexcept>

#include <coreloop/event_loop.hpp>

namespace coreloop {

namespace detail {

class task_group_child final : public done_waiter, public runnable, public pooled {
public:
    task_group_child(task_group& owner, task_core& child) noexcept
        : done_waiter(&task_group_child::on_done)
        , runnable(&task_group_child::run_it, &task_group_child::drop)
        , group(&owner)
        , task(&child) {
        child.state().add_ref();
    }
    ~task_group_child() { task->state().release(); }

    task_group* group; // nullptr once the group is gone (loop close only)
    task_core* task;
    task_group_child* prev = nullptr;
    task_group_child* next = nullptr;

private:
    static void on_done(done_waiter& w) noexcept {
        auto& self = static_cast<task_group_child&>(w);
        self.task->loop()->schedule(self); // asyncio runs done callbacks through call_soon
    }
    static void run_it(runnable& r) noexcept {
        auto* self = static_cast<task_group_child*>(&r);
        if (self->group != nullptr) {
            self->group->on_child_done(*self);
        }
        delete self;
    }
    // The loop closed with this callback queued.
    static void drop(runnable& r) noexcept {
        auto* self = static_cast<task_group_child*>(&r);
        if (self->group != nullptr) {
            self->group->unlink(*self);
        }
        delete self;
    }
};

} // namespace detail

namespace {

bool is_base_error(const std::exception_ptr& e) noexcept {
    return detail::leaf_is<keyboard_interrupt>(e) || detail::leaf_is<system_exit>(e);
}

bool is_cancellation(const std::exception_ptr& e) noexcept {
    return detail::leaf_is<cancelled_error>(e);
}

} // namespace

task_group::~task_group() {
    // Children still listed means the frame holding the group was destroyed mid-scope (a
    // task dropped at loop close): detach their callbacks so none touches this group.
    while (children_ != nullptr) {
        detail::task_group_child* child = children_;
        unlink(*child);
        if (child->linked) {
            child->task->state().remove_waiter(*child);
            delete child;
        } else {
            child->group = nullptr; // queued: the loop runs or drops it later
        }
    }
}

const char* task_group::refusal_reason() const noexcept {
    if (!entered_) {
        return "has not been entered";
    }
    if (exiting_ && size_ == 0) {
        return "is finished";
    }
    if (aborting_) {
        return "is shutting down";
    }
    return nullptr;
}

void task_group::throw_refusal(const char* reason) const {
    throw std::runtime_error(std::string("TaskGroup ") + reason);
}

void task_group::adopt(detail::task_core* child) {
    auto* node = new detail::task_group_child(*this, *child);
    node->next = children_;
    if (children_ != nullptr) {
        children_->prev = node;
    }
    children_ = node;
    ++size_;
    // Always through the ready queue, even for a task already done (an eager one), so a
    // failure never cancels the parent before create_task returns (gh-128550).
    child->state().add_waiter(*node);
    // gh-155418: an eager child may have aborted the group before joining it.
    if (aborting_ && !child->state().done()) {
        child->request_cancel({});
    }
}

void task_group::unlink(detail::task_group_child& child) noexcept {
    (child.prev != nullptr ? child.prev->next : children_) = child.next;
    if (child.next != nullptr) {
        child.next->prev = child.prev;
    }
    child.prev = child.next = nullptr;
    --size_;
}

void task_group::enter() {
    if (entered_) {
        throw std::runtime_error("TaskGroup has already been entered");
    }
    loop_ = &detail::running_loop_core();
    parent_ = detail::current_task_core();
    if (parent_ == nullptr) {
        throw std::runtime_error("TaskGroup cannot determine the parent task");
    }
    entered_ = true;
    if (cancel_on_enter_) {
        cancel();
    }
}

void task_group::abort() noexcept {
    aborting_ = true;
    for (detail::task_group_child* c = children_; c != nullptr; c = c->next) {
        if (!c->task->state().done()) {
            c->task->request_cancel({});
        }
    }
}

void task_group::cancel_parent() noexcept {
    parent_cancel_requested_ = true;
    parent_->request_cancel({});
}

void task_group::cancel() {
    if (!entered_) {
        cancel_on_enter_ = true;
        return;
    }
    if (exiting_ && size_ == 0) {
        return;
    }
    if (!aborting_) {
        abort();
        if (parent_ != nullptr && !parent_cancel_requested_) {
            cancel_parent();
        }
    }
}

void task_group::on_child_done(detail::task_group_child& child) noexcept {
    unlink(child);
    if (on_completed_.valid() && size_ == 0 && !on_completed_.done()) {
        on_completed_.set_result();
    }
    detail::future_state_base& state = child.task->state();
    if (state.cancelled()) {
        return;
    }
    std::exception_ptr error = state.exception();
    if (error == nullptr) {
        return;
    }
    errors_.push_back(error);
    if (base_error_ == nullptr && is_base_error(error)) {
        base_error_ = error;
    }
    if (parent_->state().done()) {
        exception_context context;
        context.message = "Task " + child.task->name() +
                          " has errored out but its parent task is already completed";
        context.exception = error;
        context.task = any_task(child.task);
        loop_->report(context);
        return;
    }
    if (!aborting_ && !parent_cancel_requested_) {
        // Stop the body where it is; exit() withdraws this cancellation again.
        abort();
        cancel_parent();
    }
}

coro<void> task_group::exit(std::exception_ptr body_error) {
    exiting_ = true;
    if (body_error != nullptr && base_error_ == nullptr && is_base_error(body_error)) {
        base_error_ = body_error;
    }
    const bool body_cancelled = body_error != nullptr && is_cancellation(body_error);
    std::exception_ptr propagate_cancel = body_cancelled ? body_error : nullptr;
    if (body_error != nullptr && !aborting_) {
        abort(); // the body failed, or the parent task is being cancelled from outside
    }
    // A loop: the parent may be cancelled again (or from outside while our own cancellation
    // is in progress) while the children finish.
    std::exception_ptr pending_cancel;
    while (size_ > 0) {
        if (!on_completed_.valid()) {
            on_completed_ = loop_->owner->create_future<void>();
        }
        try {
            co_await on_completed_;
        } catch (const cancelled_error&) {
            pending_cancel = std::current_exception();
            if (!aborting_) {
                propagate_cancel = pending_cancel;
                abort();
            }
        }
        on_completed_ = {};
    }
    finish(std::move(body_error), body_cancelled, std::move(propagate_cancel),
           std::move(pending_cancel));
}

void task_group::finish(std::exception_ptr body_error,
                        bool body_cancelled,
                        std::exception_ptr propagate_cancel,
                        std::exception_ptr pending_cancel) {
    detail::task_core* parent = std::exchange(parent_, nullptr);
    std::vector<std::exception_ptr> errors = std::move(errors_);
    std::exception_ptr base_error = std::move(base_error_);
    if (base_error != nullptr) {
        report_suppressed(errors, base_error);
        std::rethrow_exception(base_error);
    }
    if (parent_cancel_requested_) {
        if (parent->uncancel() == 0) {
            propagate_cancel = nullptr; // only our own cancellation was pending
        } else if (propagate_cancel == nullptr) {
            propagate_cancel = pending_cancel; // gh-155433: the rest is not ours, keep it
        }
    }
    if (propagate_cancel != nullptr && errors.empty()) {
        std::rethrow_exception(propagate_cancel);
    }
    if (body_error != nullptr && !body_cancelled) {
        errors.push_back(std::move(body_error));
    }
    if (!errors.empty()) {
        // A cancellation from outside stays requested (uncancel + cancel keeps the count).
        if (parent->cancelling() > 0) {
            parent->uncancel();
            parent->request_cancel({});
        }
        std::rethrow_exception(
                make_exception_group("unhandled errors in a TaskGroup", std::move(errors)));
    }
}

void task_group::report_suppressed(const std::vector<std::exception_ptr>& errors,
                                   const std::exception_ptr& raised) noexcept {
    // The base error about to propagate would silently discard the other errors (gh-135736).
    for (const auto& e : errors) {
        if (e == raised) {
            continue;
        }
        exception_context context;
        context.message = "TaskGroup task exception was not propagated because the TaskGroup "
                          "body is being closed with a BaseException";
        context.exception = e;
        loop_->report(context);
    }
}

} // namespace coreloop
