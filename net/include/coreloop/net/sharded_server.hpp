// sharded_server: one listener per shard on the same port (SO_REUSEPORT). The kernel spreads
// incoming connections over the shards' listeners, and a connection is served, start to end, by
// the shard that accepted it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <coreloop/coro.hpp>
#include <coreloop/net/server.hpp>
#include <coreloop/net/stream_writer.hpp>
#include <coreloop/sharded.hpp>
#include <coreloop/socket.hpp>

namespace coreloop::net {

namespace detail {
class server_core;

/// One shard's listeners (the instance sharded_server keeps on each shard).
class shard_listener {
public:
    shard_listener(std::vector<sock_address> addresses,
                   protocol_factory factory,
                   int backlog,
                   bool keep_alive);
    ~shard_listener();
    /// Stops listening, closes this shard's connections and waits until they are gone.
    coro<void> stop();
    std::size_t client_count() const noexcept;

private:
    std::shared_ptr<server_core> core_;
};
} // namespace detail

/// Options of a sharded server: those of create_server that make sense on every shard.
struct sharded_server_options {
    int family = AF_UNSPEC;
    int backlog = 100;
    bool keep_alive = false;
};

/// A server with a listener on every shard of the running engine (Seastar's reuseport
/// listeners). Use it from one shard (its owner): start, then stop before it is destroyed.
/// Shard: start and stop on the owner's loop, inside a task.
class sharded_server {
public:
    sharded_server() = default;
    sharded_server(const sharded_server&) = delete;
    sharded_server& operator=(const sharded_server&) = delete;

    /// Binds host:port on every shard and serves each connection with a protocol from a
    /// copy of `factory` made for that shard and called there (so it must not capture
    /// objects of one shard). Port 0 picks one free port for all shards.
    /// Errors: io_error when binding fails on some shard (the others are stopped first);
    /// gai_error when host does not resolve; std::logic_error if already started.
    coro<void> start(protocol_factory factory,
                     std::string host,
                     std::uint16_t port,
                     sharded_server_options opts);
    /// The same with streams: on_connected(reader, writer) runs as a task on the shard that
    /// accepted the connection.
    coro<void> start(client_connected_callback on_connected,
                     std::string host,
                     std::uint16_t port,
                     sharded_server_options opts,
                     std::size_t limit);
    /// The port every shard listens on.
    std::uint16_t port() const noexcept { return port_; }
    /// Connections open on all shards together.
    coro<std::size_t> client_count();
    /// Stops listening everywhere, closes every connection, and waits until all are gone.
    coro<void> stop();

private:
    sharded<detail::shard_listener> listeners_;
    std::uint16_t port_ = 0;
};

} // namespace coreloop::net
