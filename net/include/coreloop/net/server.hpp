// server (asyncio.Server) and create_server / create_unix_server: listening sockets whose
// connections each get a protocol from a factory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <sys/socket.h>

#include <coreloop/coro.hpp>
#include <coreloop/future.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/socket.hpp>
#include <coreloop/sync/event.hpp>

namespace coreloop {
class event_loop;
namespace detail {
struct loop_core;
}
} // namespace coreloop

namespace coreloop::net {

/// Makes the protocol of one new connection (asyncio's protocol_factory).
using protocol_factory = std::function<std::shared_ptr<base_protocol>()>;

namespace detail {
class server_core;
}

/// A server listening on one or more sockets (asyncio.Server). Made by create_server,
/// create_unix_server or start_server. A server is a handle: copies refer to the same
/// server, which keeps serving while it listens even when every handle is gone.
/// Shard: every method must be called on the loop that made it.
class server {
public:
    explicit server(std::shared_ptr<detail::server_core> core) noexcept;

    event_loop& get_loop() const noexcept;
    /// Stops listening and closes the listening sockets; connections stay open (asyncio 3.12).
    /// Idempotent; also ends serve_forever().
    void close() noexcept;
    /// close() on every connection the server accepted.
    void close_clients() noexcept;
    /// abort() on every connection the server accepted.
    void abort_clients() noexcept;
    /// Waits until the server is closed and every connection it accepted is gone.
    /// Cancellation: the wait ends; nothing else changes.
    coro<void> wait_closed();
    /// Starts accepting (no-op if already); returns after one loop iteration, as asyncio.
    /// Errors: std::runtime_error if the server is closed.
    coro<void> start_serving();
    /// Accepts until cancelled; cancelling closes the server and waits for wait_closed().
    /// Errors: std::runtime_error if already serving forever or closed.
    coro<void> serve_forever();
    bool is_serving() const noexcept;
    /// The listening sockets (empty once closed).
    std::span<const socket> sockets() const noexcept;
    /// Connections accepted and not yet lost.
    std::size_t client_count() const noexcept;

private:
    std::shared_ptr<detail::server_core> core_;
};

/// Options of create_server (asyncio's keyword arguments).
struct server_options {
    int family = AF_UNSPEC;
    /// getaddrinfo flags; AI_PASSIVE is always added.
    int flags = 0;
    /// Listen on this already bound socket instead of resolving host and port.
    std::optional<socket> sock = std::nullopt;
    int backlog = 100;
    /// SO_REUSEADDR; default true (asyncio's default on POSIX).
    bool reuse_address = true;
    /// SO_REUSEPORT: several sockets (of this process's shards, say) share the port.
    bool reuse_port = false;
    /// SO_KEEPALIVE on accepted connections.
    bool keep_alive = false;
    bool start_serving = true;
};

/// Listens on host:port and serves each connection with a protocol from `factory`
/// (asyncio loop.create_server). host "" listens on every interface (IPv4 and IPv6); port 0
/// picks a free port (read it from sockets()).
/// Errors: io_error when binding fails (address in use, say); gai_error when host does not
/// resolve. Cancellation: nothing is left listening.
/// Shard: inside a task on the loop that will serve.
coro<server>
create_server(protocol_factory factory, std::string host, std::uint16_t port, server_options opts);
/// The same on several hosts: one listening socket per resolved address.
coro<server> create_server(protocol_factory factory,
                           std::vector<std::string> hosts,
                           std::uint16_t port,
                           server_options opts);
// Overloads rather than default arguments: GCC 12 destroys a defaulted class-type argument
// twice when the call is part of a co_await expression.
inline coro<server> create_server(protocol_factory factory, std::string host, std::uint16_t port) {
    return create_server(std::move(factory), std::move(host), port, server_options{});
}

/// Options of create_unix_server.
struct unix_server_options {
    std::optional<socket> sock = std::nullopt;
    int backlog = 100;
    bool start_serving = true;
    /// Remove the socket file when the server closes (asyncio 3.13's cleanup_socket).
    bool cleanup_socket = true;
};

/// Listens on a Unix-domain socket at `path` (a stale socket file there is removed first, as
/// asyncio does). Errors: io_error; std::invalid_argument for a path too long.
coro<server>
create_unix_server(protocol_factory factory, std::string path, unix_server_options opts);
inline coro<server> create_unix_server(protocol_factory factory, std::string path) {
    return create_unix_server(std::move(factory), std::move(path), unix_server_options{});
}

} // namespace coreloop::net
