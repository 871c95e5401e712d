// socket_transport: the stream transport of TCP and Unix connections, on either backend.
// Reads are one multishot receive into the loop's shared buffers (an idle connection holds no
// buffer); the writes of one iteration leave in one send.
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <coreloop/coro.hpp>
#include <coreloop/detail/io_op.hpp>
#include <coreloop/detail/loop_core.hpp>
#include <coreloop/detail/ready_queue.hpp>
#include <coreloop/future.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/net/transport.hpp>
#include <coreloop/socket.hpp>

#include "transport_life.hpp"

namespace coreloop::net::detail {

using coreloop::detail::io_op;

class socket_transport final : public transport, public transport_life {
public:
    /// Called once connection_made() has run, to complete create_connection's wait.
    using made_callback = std::function<void()>;

    /// Takes a connected socket; start() begins the protocol's life.
    /// Errors: std::invalid_argument unless p is a protocol or a buffered_protocol.
    socket_transport(loop_core& loop, socket sock, std::shared_ptr<base_protocol> p);
    ~socket_transport() override;

    /// Makes a transport for `sock` and schedules connection_made(); reading starts after it.
    static std::shared_ptr<socket_transport> start(loop_core& loop,
                                                   socket sock,
                                                   std::shared_ptr<base_protocol> protocol,
                                                   made_callback on_made = {});

    // base_transport
    void close() noexcept override;
    bool is_closing() const noexcept override { return closing_; }
    std::any get_extra_info(std::string_view name) const override { return socket_info(name); }
    base_protocol* get_protocol() const noexcept override { return protocol_owner_.get(); }
    // read_transport
    bool is_reading() const noexcept override { return !closing_ && !reading_paused_; }
    void pause_reading() noexcept override;
    void resume_reading() noexcept override;
    // write_transport
    using write_transport::write;
    void write(std::span<const std::byte> data) override;
    void write_eof() override;
    bool can_write_eof() const noexcept override { return true; }
    void abort() noexcept override;
    std::size_t get_write_buffer_size() const noexcept override {
        return pending_.size() + (sending_.size() - sent_);
    }
    std::pair<std::size_t, std::size_t> get_write_buffer_limits() const noexcept override {
        return {low_water_, high_water_};
    }
    void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                                 std::optional<std::size_t> low = std::nullopt) override;

    /// Waits until everything written so far is in the kernel (sendfile's first step).
    /// Errors: connection_reset_error if the connection is lost first.
    coro<void> wait_drained();
    int fileno() const noexcept { return sock_.fileno(); }

    // transport_life
    void close_connection() noexcept override { close(); }
    void abort_connection() noexcept override { abort(); }

private:
    /// An op and a flush hook that know their transport.
    struct owned_op : io_op {
        socket_transport* owner = nullptr;
    };
    struct owned_flush : flush_hook {
        owned_flush(run_fn fn, socket_transport* t) noexcept
            : flush_hook(fn)
            , owner(t) {}
        socket_transport* owner;
    };
    // Lifecycle (socket_transport.cpp).
    void run_events(unsigned due) noexcept override;
    bool busy() const noexcept override {
        return recv_in_flight_ || send_in_flight_ || flush_.flush_queued;
    }
    void end_ops() noexcept override;
    void connection_made() noexcept;

    // Reading (socket_transport_read.cpp).
    void start_reading() noexcept;
    void stop_reading() noexcept;
    static void on_recv(io_op& op, int res, std::uint32_t flags) noexcept;
    void received(std::span<const std::byte> data) noexcept;
    void deliver(std::span<const std::byte> data) noexcept;
    void deliver_stashed() noexcept;
    void deliver_eof() noexcept;

    // Writing (socket_transport_write.cpp).
    static void on_flush(flush_hook& h) noexcept;
    void send_now() noexcept;
    void submit_send() noexcept;
    static void on_send(io_op& op, int res, std::uint32_t flags) noexcept;
    void buffer_drained() noexcept;

    protocol* plain_;             // one of these two is set
    buffered_protocol* buffered_; // (protocol_owner_ holds the object)
    owned_op recv_op_;
    owned_op send_op_;
    owned_flush flush_;

    // Reading.
    std::vector<std::byte> stash_;          // data received while paused
    std::unique_ptr<std::byte[]> recv_buf_; // plain receives (no multishot, or ENOBUFS)
    bool recv_in_flight_ = false;
    bool recv_cancelled_ = false;
    bool multishot_supported_ = true;
    bool plain_next_ = false; // one plain receive after ENOBUFS
    bool reading_paused_ = false;
    bool eof_received_ = false;
    bool eof_delivered_ = false;

    // Writing: pending_ collects this iteration's writes, sending_ is in the kernel's hands.
    std::vector<std::byte> pending_;
    std::vector<std::byte> sending_;
    std::size_t sent_ = 0;
    std::size_t high_water_ = 64 * 1024;
    std::size_t low_water_ = 16 * 1024;
    bool send_in_flight_ = false;
    bool eof_requested_ = false;
    bool eof_sent_ = false;
    std::vector<future<void>> drained_waiters_;
    unsigned writes_after_close_ = 0;
};

} // namespace coreloop::net::detail
