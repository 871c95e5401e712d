// datagram_socket_transport: the transport of UDP and Unix datagram endpoints. One recvmsg at
// a time into the endpoint's own buffer; datagrams to send wait in a queue and leave one
// sendmsg at a time, in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <sys/socket.h>
#include <sys/uio.h>

#include "transport_life.hpp"
#include <coreloop/detail/io_op.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/net/transport.hpp>

namespace coreloop::net::detail {

using coreloop::detail::io_op;

class datagram_socket_transport final : public datagram_transport, public transport_life {
public:
    datagram_socket_transport(loop_core& loop, socket sock, std::shared_ptr<datagram_protocol> p);
    ~datagram_socket_transport() override;

    static std::shared_ptr<datagram_socket_transport> start(loop_core& loop,
                                                            socket sock,
                                                            std::shared_ptr<datagram_protocol> p,
                                                            std::function<void()> on_made);

    // base_transport
    void close() noexcept override;
    bool is_closing() const noexcept override { return closing_; }
    std::any get_extra_info(std::string_view name) const override { return socket_info(name); }
    base_protocol* get_protocol() const noexcept override { return protocol_owner_.get(); }
    // datagram_transport
    using datagram_transport::sendto;
    void sendto(std::span<const std::byte> data, const sock_address* addr = nullptr) override;
    void abort() noexcept override { force_close(nullptr); }
    std::size_t get_write_buffer_size() const noexcept override { return queued_bytes_; }
    // transport_life
    void close_connection() noexcept override { close(); }
    void abort_connection() noexcept override { abort(); }

private:
    struct owned_op : io_op {
        datagram_socket_transport* owner = nullptr;
    };
    struct datagram {
        std::vector<std::byte> data;
        sock_address to;
        bool has_address = false;
    };

    void run_events(unsigned due) noexcept override;
    bool busy() const noexcept override { return recv_in_flight_ || send_in_flight_; }
    void end_ops() noexcept override;

    void start_reading() noexcept;
    static void on_recv(io_op& op, int res, std::uint32_t flags) noexcept;
    void send_next() noexcept;
    static void on_send(io_op& op, int res, std::uint32_t flags) noexcept;
    void report_error(int err, const char* what) noexcept;

    datagram_protocol* protocol_;
    sock_address peer_;
    bool connected_ = false;

    owned_op recv_op_;
    std::unique_ptr<std::byte[]> recv_buf_;
    sock_address recv_from_;
    ::iovec recv_iov_{};
    ::msghdr recv_msg_{};
    bool recv_in_flight_ = false;

    owned_op send_op_;
    std::deque<datagram> queue_;
    ::iovec send_iov_{};
    ::msghdr send_msg_{};
    std::size_t queued_bytes_ = 0;
    bool send_in_flight_ = false;
};

} // namespace coreloop::net::detail
