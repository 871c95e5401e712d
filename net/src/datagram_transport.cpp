// datagram_socket_transport: receiving with recvmsg, an ordered send queue with flow control,
// and errors that go to the protocol's error_received() without closing the endpoint.
#include "datagram_transport.hpp"

#include <cerrno>
#include <stdexcept>

#include "io_errors.hpp"
#include <coreloop/detail/raw_io.hpp>
#include <coreloop/event_loop.hpp>
#include <coreloop/log.hpp>

namespace coreloop::net::detail {
namespace {

// The largest UDP payload over IPv4 is 65507 bytes; a longer Unix datagram is truncated.
constexpr std::size_t max_datagram = 64 * 1024;
constexpr std::size_t high_water = 64 * 1024;
constexpr std::size_t low_water = high_water / 4;

} // namespace

datagram_socket_transport::datagram_socket_transport(loop_core& loop,
                                                     socket sock,
                                                     std::shared_ptr<datagram_protocol> p)
    : transport_life(loop, std::move(sock), p)
    , protocol_(p.get()) {
    recv_op_.owner = this;
    recv_op_.on_complete = &datagram_socket_transport::on_recv;
    recv_op_.code = coreloop::detail::op_code::recvmsg;
    send_op_.owner = this;
    send_op_.on_complete = &datagram_socket_transport::on_send;
    send_op_.code = coreloop::detail::op_code::sendmsg;
    try {
        peer_ = sock_.getpeername();
        connected_ = true;
    } catch (const io_error&) {
        connected_ = false; // ENOTCONN: an unconnected endpoint
    }
}

datagram_socket_transport::~datagram_socket_transport() = default;

std::shared_ptr<datagram_socket_transport>
datagram_socket_transport::start(loop_core& loop,
                                 socket sock,
                                 std::shared_ptr<datagram_protocol> p,
                                 std::function<void()> on_made) {
    auto t = std::make_shared<datagram_socket_transport>(loop, std::move(sock), std::move(p));
    t->begin(t, std::move(on_made));
    return t;
}

void datagram_socket_transport::run_events(unsigned due) noexcept {
    if ((due & made) != 0) {
        call_protocol("connection_made", [this] { protocol_->connection_made(*this); });
        start_reading();
        announce_made();
    }
    if ((due & lost) != 0) {
        call_connection_lost();
    }
}

void datagram_socket_transport::close() noexcept {
    if (closing_) {
        return;
    }
    closing_ = true;
    if (recv_in_flight_) {
        coreloop::detail::cancel_op(loop_, recv_op_);
    }
    if (queue_.empty()) {
        lost_scheduled_ = true;
        schedule(lost);
    }
}

void datagram_socket_transport::end_ops() noexcept {
    // The datagram in the kernel's hands stays until its completion; the rest is dropped.
    while (queue_.size() > (send_in_flight_ ? 1U : 0U)) {
        queued_bytes_ -= queue_.back().data.size();
        queue_.pop_back();
    }
    if (send_in_flight_) {
        coreloop::detail::cancel_op(loop_, send_op_);
    }
    if (recv_in_flight_) {
        coreloop::detail::cancel_op(loop_, recv_op_);
    }
}

void datagram_socket_transport::start_reading() noexcept {
    if (closing_ || recv_in_flight_ || loop_closing_) {
        return;
    }
    if (!recv_buf_) {
        recv_buf_ = std::make_unique<std::byte[]>(max_datagram);
    }
    recv_from_.reset_size();
    recv_iov_ = ::iovec{recv_buf_.get(), max_datagram};
    recv_msg_ = ::msghdr{};
    recv_msg_.msg_name = recv_from_.data();
    recv_msg_.msg_namelen = *recv_from_.size_ptr();
    recv_msg_.msg_iov = &recv_iov_;
    recv_msg_.msg_iovlen = 1;
    recv_op_.fd = sock_.fileno();
    recv_op_.msg = &recv_msg_;
    recv_in_flight_ = true;
    coreloop::detail::submit_op(loop_, recv_op_);
}

void datagram_socket_transport::on_recv(io_op& op, int res, std::uint32_t /*flags*/) noexcept {
    auto& self = *static_cast<owned_op&>(op).owner;
    self.recv_in_flight_ = false;
    ++self.callback_depth_;
    if (res >= 0 && !self.closing_) {
        *self.recv_from_.size_ptr() = self.recv_msg_.msg_namelen;
        const sock_address& from = self.connected_ ? self.peer_ : self.recv_from_;
        std::span<const std::byte> data(self.recv_buf_.get(), static_cast<std::size_t>(res));
        self.call_protocol("datagram_received",
                           [&] { self.protocol_->datagram_received(data, from); });
    } else if (res < 0 && !self.closing_) {
        // An ICMP error (ECONNREFUSED on a connected endpoint, say) concerns one datagram.
        self.report_error(-res, "recvfrom");
    }
    self.start_reading();
    --self.callback_depth_;
    self.maybe_finish();
}

void datagram_socket_transport::sendto(std::span<const std::byte> data, const sock_address* addr) {
    if (connected_ && addr != nullptr && !(*addr == peer_)) {
        throw std::invalid_argument("Invalid address: must be None or " + peer_.to_string());
    }
    if (!connected_ && addr == nullptr) {
        throw std::invalid_argument("Invalid address: an unconnected endpoint needs one");
    }
    if (lost_scheduled_) {
        if (loop_.debug) {
            log(log_level::warning, "socket.sendto() on a closed datagram transport");
        }
        return;
    }
    datagram d;
    d.data.assign(data.begin(), data.end());
    if (addr != nullptr && !connected_) {
        d.to = *addr;
        d.has_address = true;
    }
    queued_bytes_ += d.data.size();
    queue_.push_back(std::move(d));
    if (!send_in_flight_) {
        send_next();
    }
    update_protocol_flow(queued_bytes_, low_water, high_water);
}

void datagram_socket_transport::send_next() noexcept {
    datagram& d = queue_.front();
    send_iov_ = ::iovec{d.data.data(), d.data.size()};
    send_msg_ = ::msghdr{};
    if (d.has_address) {
        send_msg_.msg_name = d.to.data();
        send_msg_.msg_namelen = d.to.size();
    }
    send_msg_.msg_iov = &send_iov_;
    send_msg_.msg_iovlen = 1;
    send_op_.fd = sock_.fileno();
    send_op_.msg = &send_msg_;
    send_in_flight_ = true;
    coreloop::detail::submit_op(loop_, send_op_);
}

void datagram_socket_transport::on_send(io_op& op, int res, std::uint32_t /*flags*/) noexcept {
    auto& self = *static_cast<owned_op&>(op).owner;
    self.send_in_flight_ = false;
    ++self.callback_depth_;
    self.queued_bytes_ -= self.queue_.front().data.size();
    self.queue_.pop_front();
    if (res < 0 && !(res == -ECANCELED && self.lost_scheduled_)) {
        self.report_error(-res, "sendto");
    }
    if (!self.queue_.empty() && !self.lost_scheduled_) {
        self.send_next();
    }
    self.update_protocol_flow(self.queued_bytes_, low_water, high_water);
    if (self.queue_.empty() && self.closing_ && !self.lost_scheduled_) {
        self.lost_scheduled_ = true;
        self.schedule(lost);
    }
    --self.callback_depth_;
    self.maybe_finish();
}

void datagram_socket_transport::report_error(int err, const char* what) noexcept {
    if (loop_closing_) {
        return;
    }
    std::exception_ptr exc = make_io_error(err, what);
    call_protocol("error_received", [&] { protocol_->error_received(exc); });
}

} // namespace coreloop::net::detail
