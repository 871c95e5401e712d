// server_core: what a server handle refers to. Listening sockets with one multishot accept
// each, the connections they made, closing, and backing off when the process runs out of
// descriptors.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "socket_transport.hpp"
#include <coreloop/detail/io_op.hpp>
#include <coreloop/detail/loop_core.hpp>
#include <coreloop/future.hpp>
#include <coreloop/handle.hpp>
#include <coreloop/net/server.hpp>
#include <coreloop/socket.hpp>
#include <coreloop/sync/event.hpp>

namespace coreloop::net::detail {

class server_core final : public connection_tracker,
                          public loop_resource,
                          public std::enable_shared_from_this<server_core> {
public:
    server_core(loop_core& loop, protocol_factory factory, bool keep_alive);
    ~server_core() override;

    /// Adds a bound, listening socket. A Unix socket's path is removed at close if
    /// `cleanup_path` is not empty and the file is still the one we made.
    void add_listener(socket sock, std::string cleanup_path = {});

    loop_core& loop() const noexcept { return loop_; }
    void start_serving();
    void close() noexcept;
    bool is_closed() const noexcept { return closed_; }
    bool is_serving() const noexcept { return serving_ && !closed_; }
    void close_clients() noexcept;
    void abort_clients() noexcept;
    coro<void> wait_closed();
    coro<void> serve_forever();
    std::span<const socket> sockets() const noexcept;
    std::size_t client_count() const noexcept { return client_count_; }

    // connection_tracker
    void detach(transport_life& t) noexcept override;
    // loop_resource
    void on_loop_close() noexcept override;

private:
    struct listener : io_op {
        server_core* server = nullptr;
        std::size_t index = 0; // into sockets_
        int family = AF_UNSPEC;
        bool in_flight = false;
        bool multishot = true;
    };

    void arm(listener& l) noexcept;
    static void on_accept(io_op& op, int res, std::uint32_t flags) noexcept;
    void accepted(listener& l, socket sock) noexcept;
    void accept_failed(listener& l, int err) noexcept;
    void back_off() noexcept;
    void resume_after_backoff() noexcept;
    void close_listeners() noexcept;
    void update_closed_event() noexcept;
    void maybe_release() noexcept;

    loop_core& loop_;
    protocol_factory factory_;
    bool keep_alive_;
    std::vector<socket> sockets_;
    std::vector<std::unique_ptr<listener>> listeners_;
    std::vector<std::string> cleanup_paths_;
    std::vector<std::pair<dev_t, ino_t>> cleanup_ids_;
    std::shared_ptr<server_core> self_; // while accepts are in the kernel
    std::size_t accepts_in_flight_ = 0;

    transport_life* clients_ = nullptr;
    std::size_t client_count_ = 0;
    sync::event closed_and_empty_;

    std::optional<future<void>> serving_forever_;
    timer_handle backoff_timer_;
    std::chrono::milliseconds backoff_{0};
    bool backing_off_ = false;
    bool serving_ = false;
    bool closed_ = false;
    bool registered_ = false;
    bool listeners_closed_ = false;
};

} // namespace coreloop::net::detail
