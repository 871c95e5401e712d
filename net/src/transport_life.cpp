// transport_life: lifecycle events, force-closing, fatal errors, connection_lost, and the
// final close of the socket.
#include "transport_life.hpp"

#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>

namespace coreloop::net::detail {

coro<void> wait_made(future<void> made, base_transport& t) {
    try {
        co_await made;
    } catch (...) {
        t.close();
        throw;
    }
}

transport_life::transport_life(loop_core& loop,
                               socket sock,
                               std::shared_ptr<base_protocol> protocol)
    : loop_(loop)
    , sock_(std::move(sock))
    , protocol_owner_(std::move(protocol))
    , events_runnable_(&transport_life::run_due, &transport_life::drop_due, this) {}

transport_life::~transport_life() {
    if (registered_) {
        loop_.remove_resource(*this);
    }
}

void transport_life::begin(std::shared_ptr<base_transport> self, std::function<void()> on_made) {
    self_ = std::move(self);
    on_made_ = std::move(on_made);
    loop_.add_resource(*this);
    registered_ = true;
    schedule(made);
}

void transport_life::announce_made() noexcept {
    if (on_made_) {
        auto done = std::move(on_made_);
        on_made_ = nullptr;
        try {
            done();
        } catch (...) {
            coreloop::detail::report_callback_exception(loop_, std::current_exception());
        }
    }
}

void transport_life::schedule(unsigned e) noexcept {
    events_ |= e;
    if (!events_runnable_.queued) {
        loop_.schedule(events_runnable_);
    }
}

void transport_life::run_due(runnable& r) noexcept {
    transport_life& self = *static_cast<owned_runnable&>(r).owner;
    const unsigned due = std::exchange(self.events_, 0U);
    ++self.callback_depth_;
    self.run_events(due);
    --self.callback_depth_;
    self.maybe_finish();
}

void transport_life::drop_due(runnable& r) noexcept {
    transport_life& self = *static_cast<owned_runnable&>(r).owner;
    self.events_ = 0;
    self.maybe_finish();
}

void transport_life::force_close(std::exception_ptr exc) noexcept {
    if (lost_scheduled_) {
        return;
    }
    closing_ = true;
    lost_scheduled_ = true;
    lost_exception_ = std::move(exc);
    end_ops();
    schedule(lost);
}

void transport_life::fatal_error(std::exception_ptr exc, const char* message) noexcept {
    // A peer's reset or a broken pipe is the connection's fate, not a bug: the protocol learns
    // it from connection_lost(); anything else also goes to the exception handler.
    bool connection_error = false;
    try {
        std::rethrow_exception(exc);
    } catch (const io_error&) {
        connection_error = true;
    } catch (...) {
    }
    if (!connection_error && !loop_closing_) {
        exception_context context;
        context.message = message;
        context.exception = exc;
        loop_.report(context);
    }
    force_close(std::move(exc));
}

void transport_life::call_connection_lost() noexcept {
    if (lost_called_) {
        return;
    }
    lost_called_ = true;
    ++callback_depth_;
    try {
        protocol_owner_->connection_lost(lost_exception_);
    } catch (...) {
        coreloop::detail::report_callback_exception(loop_, std::current_exception());
    }
    --callback_depth_;
}

void transport_life::on_loop_close() noexcept {
    registered_ = false; // the loop removed us from its list
    loop_closing_ = true;
    closing_ = true;
    lost_scheduled_ = true;
    lost_called_ = true;
    end_ops();
    maybe_finish();
}

void transport_life::maybe_finish() noexcept {
    if (!lost_called_ || busy() || callback_depth_ > 0 || events_runnable_.queued || !self_) {
        return;
    }
    sock_.close();
    if (registered_) {
        registered_ = false;
        loop_.remove_resource(*this);
    }
    // The protocol may hold a shared_ptr to us: dropping it here breaks that cycle.
    auto protocol = std::move(protocol_owner_);
    auto tracker = std::move(tracker_);
    auto keep = std::move(self_);
    if (tracker) {
        tracker->detach(*this);
    }
}

void transport_life::update_protocol_flow(std::size_t buffered,
                                          std::size_t low,
                                          std::size_t high) noexcept {
    const bool pause = !protocol_paused_ && buffered > high;
    const bool resume = protocol_paused_ && buffered <= low && !lost_scheduled_;
    if (!pause && !resume) {
        return;
    }
    protocol_paused_ = pause;
    try {
        if (pause) {
            protocol_owner_->pause_writing();
        } else {
            protocol_owner_->resume_writing();
        }
    } catch (...) {
        coreloop::detail::report_callback_exception(loop_, std::current_exception());
    }
}

std::any transport_life::socket_info(std::string_view name) const {
    try {
        if (name == "socket") {
            return sock_.is_open() ? std::any(sock_.fileno()) : std::any();
        }
        if (name == "peername" && sock_.is_open()) {
            return sock_.getpeername();
        }
        if (name == "sockname" && sock_.is_open()) {
            return sock_.getsockname();
        }
    } catch (const io_error&) {
        // Not connected (any more): no value, as asyncio's None.
    }
    return {};
}

} // namespace coreloop::net::detail
