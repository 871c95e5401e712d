// socket_transport's reading side: one multishot receive into the loop's shared buffers, a
// plain receive when those run out (ENOBUFS) or are not supported, pausing without losing
// bytes, and the end of the stream.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "io_errors.hpp"
#include "socket_transport.hpp"
#include <coreloop/detail/raw_io.hpp>
#include <coreloop/exceptions.hpp>

namespace coreloop::net::detail {
namespace {

// A plain receive's buffer (only while multishot receives are unavailable).
constexpr std::size_t plain_recv_size = 16 * 1024;

} // namespace

void socket_transport::start_reading() noexcept {
    if (closing_ || reading_paused_ || eof_received_ || recv_in_flight_ || loop_closing_ ||
        !stash_.empty()) {
        return;
    }
    using coreloop::detail::op_code;
    if (multishot_supported_ && !plain_next_) {
        recv_op_.code = op_code::recv_multishot;
        recv_buf_.reset();
    } else {
        if (!recv_buf_) {
            recv_buf_ = std::make_unique<std::byte[]>(plain_recv_size);
        }
        recv_op_.code = op_code::recv;
        recv_op_.buf = recv_buf_.get();
        recv_op_.len = plain_recv_size;
    }
    recv_op_.fd = sock_.fileno();
    recv_in_flight_ = true;
    recv_cancelled_ = false;
    coreloop::detail::submit_op(loop_, recv_op_);
}

void socket_transport::stop_reading() noexcept {
    if (recv_in_flight_ && !recv_cancelled_) {
        recv_cancelled_ = true;
        coreloop::detail::cancel_op(loop_, recv_op_);
    }
}

void socket_transport::pause_reading() noexcept {
    if (closing_ || reading_paused_) {
        return;
    }
    reading_paused_ = true;
    stop_reading();
}

void socket_transport::resume_reading() noexcept {
    if (closing_ || !reading_paused_) {
        return;
    }
    reading_paused_ = false;
    if (!stash_.empty() || (eof_received_ && !eof_delivered_)) {
        schedule(stashed_data);
    } else {
        start_reading();
    }
}

void socket_transport::on_recv(io_op& op, int res, std::uint32_t flags) noexcept {
    socket_transport& self = *static_cast<owned_op&>(op).owner;
    const bool final = (flags & coreloop::detail::completion_more) == 0;
    const bool was_multishot = op.code == coreloop::detail::op_code::recv_multishot;
    if (final) {
        self.recv_in_flight_ = false;
    }
    ++self.callback_depth_;
    if ((flags & coreloop::detail::completion_buffer) != 0) {
        const std::uint16_t id = coreloop::detail::buffer_id(flags);
        std::byte* data = coreloop::detail::recv_buffer(self.loop_, id);
        self.received(std::span<const std::byte>(data, static_cast<std::size_t>(res)));
        coreloop::detail::give_back_recv_buffer(self.loop_, id);
    } else if (res > 0) {
        self.received(
                std::span<const std::byte>(self.recv_buf_.get(), static_cast<std::size_t>(res)));
    }
    if (final) {
        const bool cancelled_by_us = std::exchange(self.recv_cancelled_, false);
        if (res == 0) {
            self.eof_received_ = true;
            if (!self.reading_paused_ && self.stash_.empty()) {
                self.deliver_eof();
            }
        } else if (res == -ENOBUFS) {
            self.plain_next_ = true; // every shared buffer is in use: one plain receive
        } else if (was_multishot && (res == -EOPNOTSUPP || res == -EINVAL)) {
            self.multishot_supported_ = false; // a kernel before 6.0
        } else if (res == -ECANCELED && cancelled_by_us) {
            // pause_reading() or close()
        } else if (res < 0) {
            self.fatal_error(make_io_error(-res, "recv"), "Fatal read error on socket transport");
        } else if (!was_multishot) {
            self.plain_next_ = false;
        }
        self.start_reading();
    }
    --self.callback_depth_;
    self.maybe_finish();
}

// Bytes from the kernel: to the protocol, or kept while reading is paused (a receive already
// in the kernel when pause_reading() was called may still bring some).
void socket_transport::received(std::span<const std::byte> data) noexcept {
    if (closing_ || loop_closing_) {
        return; // asyncio stops reading at close(): what comes later is dropped
    }
    if (reading_paused_ || !stash_.empty()) {
        stash_.insert(stash_.end(), data.begin(), data.end());
        return;
    }
    deliver(data);
}

void socket_transport::deliver(std::span<const std::byte> data) noexcept {
    if (plain_ != nullptr) {
        call_protocol("data_received", [&] { plain_->data_received(data); });
        return;
    }
    while (!data.empty() && !closing_) {
        if (reading_paused_) {
            stash_.insert(stash_.end(), data.begin(), data.end());
            return;
        }
        std::size_t n = 0;
        const bool ok = call_protocol("get_buffer", [&] {
            std::span<std::byte> buffer = buffered_->get_buffer(data.size());
            if (buffer.empty()) {
                throw std::runtime_error("get_buffer() returned an empty buffer");
            }
            n = std::min(buffer.size(), data.size());
            std::memcpy(buffer.data(), data.data(), n);
        });
        if (!ok || !call_protocol("buffer_updated", [&] { buffered_->buffer_updated(n); })) {
            return;
        }
        data = data.subspan(n);
    }
}

void socket_transport::deliver_stashed() noexcept {
    if (closing_ || reading_paused_) {
        return;
    }
    std::vector<std::byte> stashed = std::move(stash_);
    stash_.clear();
    if (!stashed.empty()) {
        deliver(stashed);
    }
    if (!stash_.empty() || reading_paused_ || closing_) {
        return; // paused again while delivering: the rest waits in stash_
    }
    if (eof_received_) {
        if (!eof_delivered_) {
            deliver_eof();
        }
        return;
    }
    start_reading();
}

// asyncio's _read_ready__on_eof: the protocol decides whether the connection stays open for
// writing.
void socket_transport::deliver_eof() noexcept {
    if (eof_delivered_ || closing_ || loop_closing_) {
        return;
    }
    eof_delivered_ = true;
    bool keep_open = false;
    const bool ok = call_protocol("eof_received", [&] {
        keep_open = plain_ != nullptr ? plain_->eof_received() : buffered_->eof_received();
    });
    if (ok && !keep_open) {
        close();
    }
}

} // namespace coreloop::net::detail
