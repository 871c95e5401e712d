// The record of one kernel I/O operation, shared by both reactor backends.
// It lives inside an awaiter in the suspended coroutine's frame: no allocation per op.
#pragma once

#include <cstddef>
#include <cstdint>

#include <sys/socket.h>

namespace coreloop::detail {

enum class op_code : std::uint8_t {
    poll,    ///< wait for poll_events on fd; result is the revents mask
    recv,    ///< recv(fd, buf, len, msg_flags)
    send,    ///< send(fd, buf, len, msg_flags | MSG_NOSIGNAL)
    sendmsg, ///< sendmsg(fd, msg, msg_flags | MSG_NOSIGNAL)
    accept,  ///< accept4(fd, addr, addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC); result is the new fd
    connect, ///< connect(fd, addr, addr_len); result 0 once connected
    read,    ///< read(fd, buf, len)
    write,   ///< write(fd, buf, len)
    /// Multishot accept4(fd, ...): one completion per connection (the new fd), flagged
    /// completion_more until the op ends (an error, or a cancel).
    accept_multishot,
    /// Multishot recv(fd, msg_flags) into the loop's receive buffers: each completion with
    /// data carries completion_buffer and the buffer's id (buffer_id(flags)), which the owner
    /// gives back once done with it. Ends with 0 at end of stream, -ENOBUFS when no buffer is
    /// free (the owner falls back to a plain recv), or an error.
    recv_multishot,
    /// recvmsg(fd, msg, msg_flags)
    recvmsg,
};

/// More completions of this op will follow (io_uring's IORING_CQE_F_MORE).
inline constexpr std::uint32_t completion_more = 1U << 0;
/// The completion's data is in one of the loop's receive buffers (recv_multishot).
inline constexpr std::uint32_t completion_buffer = 1U << 1;

/// The receive buffer a completion_buffer completion filled (io_uring's layout: the upper 16
/// bits of the CQE flags).
constexpr std::uint16_t buffer_id(std::uint32_t flags) noexcept {
    return static_cast<std::uint16_t>(flags >> 16);
}
constexpr std::uint32_t buffer_flags(std::uint16_t id) noexcept {
    return completion_buffer | (static_cast<std::uint32_t>(id) << 16);
}

struct io_op {
    /// Called once per completion, only from inside reactor::poll(), with the result
    /// (>= 0, or -errno; -ECANCELED after a cancel that won). Must not resume a coroutine
    /// inline: it makes the waiter ready instead.
    using complete_fn = void (*)(io_op& op, int res, std::uint32_t flags) noexcept;

    op_code code = op_code::poll;
    int fd = -1;

    void* buf = nullptr;                 // recv, send, read, write
    std::size_t len = 0;                 // recv, send, read, write
    int msg_flags = 0;                   // recv, send, sendmsg, recvmsg, recv_multishot
    ::msghdr* msg = nullptr;             // sendmsg, recvmsg
    ::sockaddr* addr = nullptr;          // accept (out, may be null), connect (in)
    ::socklen_t* addr_len_out = nullptr; // accept: in/out length of addr
    ::socklen_t addr_len = 0;            // connect: length of addr
    std::uint32_t poll_events = 0;       // poll: POLLIN | POLLOUT | ...

    complete_fn on_complete = nullptr;

    // Backend-private bookkeeping; an op is in at most one backend list at a time.
    io_op* next = nullptr;
    io_op* prev = nullptr;
    std::uint8_t backend_state = 0;
};

} // namespace coreloop::detail
