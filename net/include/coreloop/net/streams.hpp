// Streams over connections (asyncio's high-level API): open_connection, start_server and their
// Unix-socket twins, giving a stream_reader and a stream_writer per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <coreloop/coro.hpp>
#include <coreloop/net/connection.hpp>
#include <coreloop/net/server.hpp>
#include <coreloop/net/stream_reader.hpp>
#include <coreloop/net/stream_writer.hpp>

namespace coreloop::net {

/// A connection's two halves.
using stream_pair = std::pair<std::shared_ptr<stream_reader>, std::shared_ptr<stream_writer>>;

/// Connects to host:port (create_connection) and returns its reader and writer
/// (asyncio.open_connection). `limit` is the reader's buffer limit.
/// Errors: as create_connection. Cancellation: nothing is left open.
/// Shard: inside a task; the streams belong to the running loop.
coro<stream_pair> open_connection(std::string host,
                                  std::uint16_t port,
                                  connection_options opts,
                                  std::size_t limit = default_stream_limit);
// Overloads rather than default arguments: GCC 12 destroys a defaulted class-type argument
// twice when the call is part of a co_await expression.
inline coro<stream_pair> open_connection(std::string host, std::uint16_t port) {
    return open_connection(std::move(host), port, connection_options{});
}

/// The same over a Unix-domain socket (asyncio.open_unix_connection).
coro<stream_pair> open_unix_connection(std::string path, std::size_t limit = default_stream_limit);

/// Serves host:port, running on_connected(reader, writer) as a task for each connection
/// (asyncio.start_server). An exception on_connected throws is reported to the loop's
/// exception handler and closes that connection.
/// Errors: as create_server.
coro<server> start_server(client_connected_callback on_connected,
                          std::string host,
                          std::uint16_t port,
                          server_options opts,
                          std::size_t limit = default_stream_limit);
inline coro<server>
start_server(client_connected_callback on_connected, std::string host, std::uint16_t port) {
    return start_server(std::move(on_connected), std::move(host), port, server_options{});
}

/// The same on a Unix-domain socket (asyncio.start_unix_server).
coro<server> start_unix_server(client_connected_callback on_connected,
                               std::string path,
                               unix_server_options opts,
                               std::size_t limit = default_stream_limit);
inline coro<server> start_unix_server(client_connected_callback on_connected, std::string path) {
    return start_unix_server(std::move(on_connected), std::move(path), unix_server_options{});
}

} // namespace coreloop::net
