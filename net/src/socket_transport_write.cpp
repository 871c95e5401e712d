// socket_transport's writing side: writes of one iteration are gathered in one buffer and sent
// by one op just before the loop polls; flow control (pause_writing/resume_writing), write_eof,
// and closing once the buffer is empty.
#include <cerrno>
#include <stdexcept>

#include <sys/socket.h>

#include "io_errors.hpp"
#include "socket_transport.hpp"
#include "wake_all.hpp"
#include <coreloop/detail/raw_io.hpp>
#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/log.hpp>

namespace coreloop::net::detail {
namespace {

// A send buffer larger than this is freed once empty, so a connection that once sent a burst
// does not keep the memory while idle.
constexpr std::size_t keep_send_capacity = 64 * 1024;

// asyncio warns after this many writes to a lost connection.
constexpr unsigned warn_writes_after_close = 5;

void release_if_large(std::vector<std::byte>& v) {
    if (v.capacity() > keep_send_capacity) {
        std::vector<std::byte>().swap(v);
    }
}

} // namespace

void socket_transport::write(std::span<const std::byte> data) {
    if (eof_requested_) {
        throw std::runtime_error("Cannot call write() after write_eof()");
    }
    if (data.empty()) {
        return;
    }
    if (lost_scheduled_) {
        if (++writes_after_close_ >= warn_writes_after_close && loop_.debug) {
            log(log_level::warning, "socket.send() raised exception.");
        }
        return;
    }
    pending_.insert(pending_.end(), data.begin(), data.end());
    loop_.queue_flush(flush_);
    update_protocol_flow(get_write_buffer_size(), low_water_, high_water_);
}

void socket_transport::on_flush(flush_hook& h) noexcept {
    socket_transport& self = *static_cast<owned_flush&>(h).owner;
    self.send_now();
    self.maybe_finish();
}

void socket_transport::send_now() noexcept {
    if (send_in_flight_ || pending_.empty() || lost_scheduled_) {
        return;
    }
    std::swap(pending_, sending_);
    sent_ = 0;
    submit_send();
}

void socket_transport::submit_send() noexcept {
    send_op_.fd = sock_.fileno();
    send_op_.buf = sending_.data() + sent_;
    send_op_.len = sending_.size() - sent_;
    send_in_flight_ = true;
    coreloop::detail::submit_op(loop_, send_op_);
}

void socket_transport::on_send(io_op& op, int res, std::uint32_t /*flags*/) noexcept {
    socket_transport& self = *static_cast<owned_op&>(op).owner;
    self.send_in_flight_ = false;
    ++self.callback_depth_;
    if (res < 0) {
        self.sending_.clear();
        self.sent_ = 0;
        if (!(res == -ECANCELED && self.lost_scheduled_)) {
            self.fatal_error(make_io_error(-res, "send"), "Fatal write error on socket transport");
        }
    } else {
        self.sent_ += static_cast<std::size_t>(res);
        if (self.sent_ < self.sending_.size() && !self.lost_scheduled_) {
            self.submit_send(); // a partial send: the kernel's buffer is full
        } else {
            self.sending_.clear();
            self.sent_ = 0;
            release_if_large(self.sending_);
            self.send_now();
        }
    }
    self.update_protocol_flow(self.get_write_buffer_size(), self.low_water_, self.high_water_);
    if (!self.send_in_flight_ && self.get_write_buffer_size() == 0) {
        self.buffer_drained();
    }
    --self.callback_depth_;
    self.maybe_finish();
}

// Everything written reached the kernel: a requested half-close or close happens now.
void socket_transport::buffer_drained() noexcept {
    release_if_large(pending_);
    wake_all(drained_waiters_, nullptr);
    if (eof_requested_ && !eof_sent_ && !lost_scheduled_) {
        eof_sent_ = true;
        try {
            sock_.shutdown(SHUT_WR);
        } catch (...) {
            fatal_error(std::current_exception(), "Fatal error on write_eof()");
            return;
        }
    }
    if (closing_ && !lost_scheduled_) {
        lost_scheduled_ = true;
        schedule(lost);
    }
}

coro<void> socket_transport::wait_drained() {
    if (lost_scheduled_) {
        throw connection_reset_error(ECONNRESET, "Connection lost");
    }
    if (get_write_buffer_size() == 0 && !send_in_flight_) {
        co_return;
    }
    future<void> drained = loop_.owner->create_future<void>();
    drained_waiters_.push_back(drained);
    co_await drained;
}

void socket_transport::write_eof() {
    if (closing_ || eof_requested_) {
        return;
    }
    eof_requested_ = true;
    if (!send_in_flight_ && get_write_buffer_size() == 0) {
        buffer_drained();
    }
}

void socket_transport::set_write_buffer_limits(std::optional<std::size_t> high,
                                               std::optional<std::size_t> low) {
    const std::size_t new_high = high ? *high : (low ? 4 * *low : 64 * 1024);
    const std::size_t new_low = low ? *low : new_high / 4;
    if (new_high < new_low) {
        throw std::invalid_argument("high must be >= low, both >= 0");
    }
    high_water_ = new_high;
    low_water_ = new_low;
    update_protocol_flow(get_write_buffer_size(), low_water_, high_water_);
}

} // namespace coreloop::net::detail
