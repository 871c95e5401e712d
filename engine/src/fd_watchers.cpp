// add_reader / add_writer on top of one-shot poll ops.
#include "fd_watchers.hpp"

#include <cerrno>

#include <poll.h>

#include "reactor.hpp"
#include <coreloop/event_loop.hpp>

namespace coreloop::detail {

fd_watch::fd_watch(loop_core& loop, int watched_fd, std::uint32_t events, std::function<void()> fn)
    : runnable(&fd_watch::run_it, &fd_watch::drop)
    , loop_(loop)
    , fn_(std::move(fn)) {
    code = op_code::poll;
    fd = watched_fd;
    poll_events = events;
    on_complete = &fd_watch::on_poll;
}

void fd_watch::start() noexcept {
    op_in_flight_ = true;
    loop_.io->submit(*this);
}

void fd_watch::stop() noexcept {
    active_ = false;
    if (op_in_flight_) {
        loop_.io->cancel(*this);
    }
    free_if_idle();
}

void fd_watch::on_poll(io_op& op, int res, std::uint32_t /*flags*/) noexcept {
    auto& self = static_cast<fd_watch&>(op);
    self.op_in_flight_ = false;
    if (!self.active_) {
        self.free_if_idle();
        return;
    }
    if (res < 0) {
        // The descriptor cannot be polled (closed without remove_reader, say): say so once
        // and stop watching rather than spin.
        self.active_ = false;
        exception_context context;
        context.message = "add_reader/add_writer: cannot poll fd " + std::to_string(self.fd);
        context.exception = std::make_exception_ptr(io_error(-res, "poll"));
        self.loop_.report(context);
        return;
    }
    if (!self.queued) {
        self.loop_.schedule(self);
    }
}

void fd_watch::run_it(runnable& r) noexcept {
    auto& self = static_cast<fd_watch&>(r);
    if (self.active_) {
        // A copy, so the callback may replace or remove its own watch while it runs.
        std::function<void()> fn = self.fn_;
        self.running_ = true;
        try {
            fn();
        } catch (...) {
            report_callback_exception(self.loop_, std::current_exception());
        }
        self.running_ = false;
        if (self.active_ && !self.op_in_flight_) {
            self.start();
        }
    }
    self.free_if_idle();
}

void fd_watch::drop(runnable& r) noexcept {
    static_cast<fd_watch&>(r).free_if_idle();
}

void fd_watch::free_if_idle() noexcept {
    if (!active_ && !op_in_flight_ && !queued && !running_) {
        delete this;
    }
}

void fd_watchers::add(bool reading, int fd, std::function<void()> fn) {
    auto& watches = map(reading);
    if (auto it = watches.find(fd); it != watches.end()) {
        it->second->replace(std::move(fn));
        return;
    }
    auto* watch = new fd_watch(loop_, fd, reading ? POLLIN : POLLOUT, std::move(fn));
    watches.emplace(fd, watch);
    watch->start();
}

bool fd_watchers::remove(bool reading, int fd) noexcept {
    auto& watches = map(reading);
    auto it = watches.find(fd);
    if (it == watches.end()) {
        return false;
    }
    fd_watch* watch = it->second;
    watches.erase(it);
    watch->stop();
    return true;
}

void fd_watchers::stop_all() noexcept {
    for (auto* watches : {&readers_, &writers_}) {
        for (auto& [fd, watch] : *watches) {
            watch->stop();
        }
        watches->clear();
    }
}

} // namespace coreloop::detail
