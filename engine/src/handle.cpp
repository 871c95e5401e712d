// Running and cancelling scheduled callbacks.
#include <coreloop/handle.hpp>

#include <coreloop/event_loop.hpp>

namespace coreloop::detail {

void handle_state::cancel() noexcept {
    if (cancelled_) {
        return;
    }
    cancelled_ = true;
    fn_.reset(); // free what the callback captured now, not when it would have run
    if (is_queued()) {
        loop_.timers.remove(*this);
        release(); // the heap's reference; a handle still holds one
    }
}

void handle_state::run_it(runnable& r) noexcept {
    auto& self = static_cast<handle_state&>(r);
    if (!self.cancelled_) {
        // Moved out so that the callback may cancel its own handle while it runs.
        callback fn = std::move(self.fn_);
        try {
            fn();
        } catch (...) {
            exception_context context;
            context.message = "Exception in callback";
            context.exception = std::current_exception();
            self.add_ref();
            context.callback = handle(&self);
            self.loop_.report(context);
        }
    }
    self.release(); // the ready queue's reference
}

} // namespace coreloop::detail
