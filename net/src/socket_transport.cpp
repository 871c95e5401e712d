// socket_transport's life: connection_made, close, abort, and the events it runs.
#include "socket_transport.hpp"

#include <cerrno>
#include <stdexcept>

#include "io_errors.hpp"
#include "wake_all.hpp"
#include <coreloop/detail/raw_io.hpp>
#include <coreloop/event_loop.hpp>

namespace coreloop::net::detail {

socket_transport::socket_transport(loop_core& loop, socket sock, std::shared_ptr<base_protocol> p)
    : transport_life(loop, std::move(sock), p)
    , plain_(dynamic_cast<protocol*>(p.get()))
    , buffered_(dynamic_cast<buffered_protocol*>(p.get()))
    , flush_(&socket_transport::on_flush, this) {
    if (plain_ == nullptr && buffered_ == nullptr) {
        throw std::invalid_argument("a stream transport needs a protocol or buffered_protocol");
    }
    recv_op_.owner = this;
    recv_op_.on_complete = &socket_transport::on_recv;
    send_op_.owner = this;
    send_op_.on_complete = &socket_transport::on_send;
    send_op_.code = coreloop::detail::op_code::send;
}

socket_transport::~socket_transport() = default;

std::shared_ptr<socket_transport> socket_transport::start(loop_core& loop,
                                                          socket sock,
                                                          std::shared_ptr<base_protocol> protocol,
                                                          made_callback on_made) {
    auto t = std::make_shared<socket_transport>(loop, std::move(sock), std::move(protocol));
    t->begin(t, std::move(on_made));
    return t;
}

// In asyncio's order: connection_made first, then data stashed while reading was paused, then
// connection_lost.
void socket_transport::run_events(unsigned due) noexcept {
    if ((due & made) != 0) {
        connection_made();
    }
    if ((due & stashed_data) != 0) {
        deliver_stashed();
    }
    if ((due & lost) != 0) {
        call_connection_lost();
    }
}

void socket_transport::connection_made() noexcept {
    call_protocol("connection_made", [this] {
        if (plain_ != nullptr) {
            plain_->connection_made(*this);
        } else {
            buffered_->connection_made(*this);
        }
    });
    start_reading();
    announce_made();
}

void socket_transport::close() noexcept {
    if (closing_) {
        return;
    }
    closing_ = true;
    stop_reading();
    if (get_write_buffer_size() == 0 && !send_in_flight_) {
        lost_scheduled_ = true;
        schedule(lost);
    }
    // Otherwise the last send's completion schedules connection_lost.
}

void socket_transport::abort() noexcept {
    force_close(nullptr);
}

void socket_transport::end_ops() noexcept {
    pending_.clear();
    if (!loop_closing_) {
        wake_all(drained_waiters_, make_io_error(ECONNRESET, "Connection lost"));
    }
    if (send_in_flight_) {
        coreloop::detail::cancel_op(loop_, send_op_);
    }
    stop_reading();
}

} // namespace coreloop::net::detail
