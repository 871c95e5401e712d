// sendfile and sock_sendfile: a file's bytes to a connection by the kernel's sendfile(2),
// with asyncio's fallback to reading and writing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include <coreloop/coro.hpp>
#include <coreloop/net/transport.hpp>
#include <coreloop/socket.hpp>

namespace coreloop::net {

/// sendfile(2) cannot be used here and fallback was false (asyncio's
/// SendfileNotAvailableError).
class sendfile_not_available_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Sends `count` bytes (nullopt: to the end of the file) of file descriptor `fd` from `offset`
/// over the transport and returns how many were sent (asyncio loop.sendfile). Buffered writes
/// are sent first, reading is paused meanwhile, and the file's own offset is not used.
/// Errors: sendfile_not_available_error when the transport or the file does not allow
/// sendfile(2) and fallback is false (with fallback, the bytes are read on the default
/// executor and written through the transport); std::runtime_error if the transport is
/// closing; io_error of the connection.
/// Cancellation: stops between chunks; bytes already handed to the kernel are sent.
/// Shard: inside a task on the transport's loop.
coro<std::size_t> sendfile(transport& t,
                           int fd,
                           std::uint64_t offset,
                           std::optional<std::size_t> count,
                           bool fallback);
// An overload rather than default arguments: GCC 12 destroys a defaulted class-type argument
// twice when the call is part of a co_await expression.
coro<std::size_t> sendfile(transport& t, int fd);

/// The same on a connected socket driven by the loop's sock_* operations
/// (asyncio loop.sock_sendfile).
coro<std::size_t> sock_sendfile(socket& sock,
                                int fd,
                                std::uint64_t offset,
                                std::optional<std::size_t> count,
                                bool fallback);
coro<std::size_t> sock_sendfile(socket& sock, int fd);

} // namespace coreloop::net
