// sendfile and sock_sendfile: sendfile(2) in chunks, waiting for writability when the socket's
// buffer is full, with asyncio's fallback through reads on the default executor.
#include <coreloop/net/sendfile.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <sys/sendfile.h>
#include <unistd.h>

#include "socket_transport.hpp"
#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/executor.hpp>

namespace coreloop::net {
namespace {

// The most one sendfile(2) call is asked for (the kernel sends at most 2 GiB per call).
constexpr std::size_t sendfile_chunk = std::size_t{1} << 30;
// The fallback's read size.
constexpr std::size_t fallback_chunk = 256 * 1024;

/// Waits until fd is writable (add_writer for one event).
coro<void> wait_writable(int fd) {
    event_loop& loop = get_running_loop();
    future<void> ready = loop.create_future<void>();
    loop.add_writer(fd, [ready]() mutable {
        if (!ready.done()) {
            ready.set_result();
        }
    });
    try {
        co_await ready;
    } catch (...) {
        loop.remove_writer(fd);
        throw;
    }
    loop.remove_writer(fd);
}

/// Errors that mean "this file or socket cannot do sendfile(2)", not a failed connection.
bool not_supported(int err) noexcept {
    return err == EINVAL || err == ENOSYS || err == EOPNOTSUPP || err == ENOTSOCK ||
           err == EOVERFLOW || err == ESPIPE;
}

/// Sends with sendfile(2) on socket fd `out`. Returns the bytes sent; throws
/// sendfile_not_available_error if the very first call says sendfile cannot work here.
coro<std::size_t>
send_native(int out, int in, std::uint64_t offset, std::optional<std::size_t> count) {
    std::size_t total = 0;
    auto off = static_cast<::off_t>(offset);
    while (!count || total < *count) {
        const std::size_t want = std::min(count ? *count - total : sendfile_chunk, sendfile_chunk);
        const ::ssize_t n = ::sendfile(out, in, &off, want);
        if (n > 0) {
            total += static_cast<std::size_t>(n);
            continue;
        }
        if (n == 0) {
            break; // end of file
        }
        const int err = errno;
        if (err == EINTR) {
            continue;
        }
        if (err == EAGAIN) {
            co_await wait_writable(out);
            continue;
        }
        if (total == 0 && not_supported(err)) {
            throw sendfile_not_available_error("os.sendfile() is not available for this file: " +
                                               std::string(std::strerror(err)));
        }
        throw_io_error(err, "sendfile");
    }
    co_return total;
}

/// Reads the next piece of the file on the default executor ("" at end of file).
coro<std::string> read_piece(int fd, std::uint64_t offset, std::size_t n) {
    auto read_it = [fd, offset, n] {
        std::string buf(n, '\0');
        ::ssize_t got = -1;
        do {
            got = ::pread(fd, buf.data(), n, static_cast<::off_t>(offset));
        } while (got < 0 && errno == EINTR);
        if (got < 0) {
            throw_io_error(errno, "read");
        }
        buf.resize(static_cast<std::size_t>(got));
        return buf;
    };
    co_return co_await get_running_loop().run_in_executor(nullptr, read_it);
}

} // namespace

coro<std::size_t> sendfile(transport& t,
                           int fd,
                           std::uint64_t offset,
                           std::optional<std::size_t> count,
                           bool fallback) {
    if (t.is_closing()) {
        throw std::runtime_error("Transport is closing");
    }
    auto* native = dynamic_cast<detail::socket_transport*>(&t);
    std::exception_ptr not_native;
    std::size_t sent = 0;
    if (native != nullptr) {
        // asyncio's _sendfile_native: nothing else may read or write meanwhile.
        const bool was_reading = t.is_reading();
        t.pause_reading();
        std::exception_ptr error;
        try {
            co_await native->wait_drained();
            sent = co_await send_native(native->fileno(), fd, offset, count);
        } catch (const sendfile_not_available_error&) {
            not_native = std::current_exception();
        } catch (...) {
            error = std::current_exception();
        }
        if (was_reading) {
            t.resume_reading();
        }
        if (error) {
            std::rethrow_exception(error);
        }
        if (!not_native) {
            co_return sent;
        }
    }
    if (!fallback) {
        if (not_native) {
            std::rethrow_exception(not_native);
        }
        throw sendfile_not_available_error("sendfile is not available for this transport");
    }
    // asyncio's _sendfile_fallback: read a piece, write it, wait for the buffer to drain.
    while (!count || sent < *count) {
        const std::size_t want = std::min(count ? *count - sent : fallback_chunk, fallback_chunk);
        std::string piece = co_await read_piece(fd, offset + sent, want);
        if (piece.empty()) {
            break;
        }
        t.write(piece);
        sent += piece.size();
        if (native != nullptr) {
            co_await native->wait_drained();
        }
    }
    co_return sent;
}

coro<std::size_t> sendfile(transport& t, int fd) {
    co_return co_await sendfile(t, fd, 0, std::nullopt, true);
}

coro<std::size_t> sock_sendfile(socket& sock,
                                int fd,
                                std::uint64_t offset,
                                std::optional<std::size_t> count,
                                bool fallback) {
    try {
        co_return co_await send_native(sock.fileno(), fd, offset, count);
    } catch (const sendfile_not_available_error&) {
        if (!fallback) {
            throw;
        }
    }
    std::size_t sent = 0;
    while (!count || sent < *count) {
        const std::size_t want = std::min(count ? *count - sent : fallback_chunk, fallback_chunk);
        std::string piece = co_await read_piece(fd, offset + sent, want);
        if (piece.empty()) {
            break;
        }
        co_await get_running_loop().sock_sendall(sock, piece);
        sent += piece.size();
    }
    co_return sent;
}

coro<std::size_t> sock_sendfile(socket& sock, int fd) {
    co_return co_await sock_sendfile(sock, fd, 0, std::nullopt, true);
}

} // namespace coreloop::net
