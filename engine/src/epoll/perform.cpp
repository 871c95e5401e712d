// The per-op syscalls of the epoll backend: each one non-blocking, EINTR retried, EAGAIN turned
// into would_block so the reactor can wait for readiness and call again.
#include "epoll/perform.hpp"

#include <cerrno>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace coreloop::detail::epoll {
namespace {

constexpr std::uint32_t read_side_events = POLLIN | POLLPRI | POLLRDHUP;

/// Maps a syscall's return value to the op's result: the value itself, -errno, or
/// would_block. Returns `retry` (true) for EINTR so the caller loops.
int finish(long n, bool& retry) noexcept {
    retry = false;
    if (n >= 0) {
        return static_cast<int>(n);
    }
    int err = errno;
    if (err == EINTR) {
        retry = true;
        return 0;
    }
    if (err == EAGAIN || err == EWOULDBLOCK) {
        return would_block;
    }
    return -err;
}

/// Calls `syscall` until it does not fail with EINTR.
template <typename Syscall>
int retry_eintr(Syscall syscall) noexcept {
    for (;;) {
        bool retry = false;
        int res = finish(syscall(), retry);
        if (!retry) {
            return res;
        }
    }
}

// MSG_DONTWAIT keeps a socket op from blocking the shard even if the owner left the socket in
// blocking mode (io_uring copes with blocking sockets, so the loop above may not notice).
int perform_recv(io_op& op) noexcept {
    return retry_eintr([&] { return ::recv(op.fd, op.buf, op.len, op.msg_flags | MSG_DONTWAIT); });
}

int perform_send(io_op& op) noexcept {
    int flags = op.msg_flags | MSG_NOSIGNAL | MSG_DONTWAIT;
    return retry_eintr([&] { return ::send(op.fd, op.buf, op.len, flags); });
}

int perform_sendmsg(io_op& op) noexcept {
    int flags = op.msg_flags | MSG_NOSIGNAL | MSG_DONTWAIT;
    return retry_eintr([&] { return ::sendmsg(op.fd, op.msg, flags); });
}

int perform_accept(io_op& op) noexcept {
    return retry_eintr([&] {
        return ::accept4(op.fd, op.addr, op.addr_len_out, SOCK_NONBLOCK | SOCK_CLOEXEC);
    });
}

/// Reads the outcome of a connect that returned EINPROGRESS, once the socket is writable.
int connect_outcome(const io_op& op) noexcept {
    int err = 0;
    ::socklen_t len = sizeof err;
    if (::getsockopt(op.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        return -errno;
    }
    return -err;
}

int perform_connect(io_op& op) noexcept {
    if ((op.backend_state & connect_started) != 0) {
        return connect_outcome(op);
    }
    if (::connect(op.fd, op.addr, op.addr_len) == 0) {
        return 0;
    }
    int err = errno;
    // A connect interrupted by a signal goes on in the background, exactly like EINPROGRESS;
    // calling connect() again would only report EALREADY.
    if (err == EINPROGRESS || err == EINTR || err == EALREADY) {
        op.backend_state |= connect_started;
        return would_block;
    }
    // Unix sockets report a full listen backlog as EAGAIN: there connect() is simply retried.
    return err == EAGAIN ? would_block : -err;
}

int perform_poll(io_op& op) noexcept {
    ::pollfd pfd{op.fd, static_cast<short>(op.poll_events), 0};
    int n = retry_eintr([&] { return ::poll(&pfd, 1, 0); });
    if (n <= 0) {
        return n == 0 ? would_block : n;
    }
    // poll(2) flags a closed fd instead of failing; io_uring fails the op with EBADF.
    if ((pfd.revents & POLLNVAL) != 0) {
        return -EBADF;
    }
    std::uint32_t res = poll_result(op, static_cast<std::uint16_t>(pfd.revents));
    return res == 0 ? would_block : static_cast<int>(res);
}

} // namespace

int perform(io_op& op) noexcept {
    switch (op.code) {
    case op_code::poll:
        return perform_poll(op);
    case op_code::recv:
    case op_code::recv_multishot: // into the buffer the reactor picked
        return perform_recv(op);
    case op_code::recvmsg:
        return retry_eintr([&] { return ::recvmsg(op.fd, op.msg, op.msg_flags | MSG_DONTWAIT); });
    case op_code::send:
        return perform_send(op);
    case op_code::sendmsg:
        return perform_sendmsg(op);
    case op_code::accept:
    case op_code::accept_multishot:
        return perform_accept(op);
    case op_code::connect:
        return perform_connect(op);
    case op_code::read:
        return retry_eintr([&] { return ::read(op.fd, op.buf, op.len); });
    case op_code::write:
        return retry_eintr([&] { return ::write(op.fd, op.buf, op.len); });
    }
    return -EINVAL;
}

direction direction_of(const io_op& op) noexcept {
    switch (op.code) {
    case op_code::recv:
    case op_code::accept:
    case op_code::read:
    case op_code::accept_multishot:
    case op_code::recv_multishot:
    case op_code::recvmsg:
        return direction::read;
    case op_code::send:
    case op_code::sendmsg:
    case op_code::connect:
    case op_code::write:
        return direction::write;
    case op_code::poll:
        break;
    }
    bool wants_out = (op.poll_events & POLLOUT) != 0;
    bool wants_read_side = (op.poll_events & read_side_events) != 0;
    return wants_out && !wants_read_side ? direction::write : direction::read;
}

bool is_dual_poll(const io_op& op) noexcept {
    return op.code == op_code::poll && (op.poll_events & POLLOUT) != 0 &&
           (op.poll_events & read_side_events) != 0;
}

std::uint32_t poll_result(const io_op& op, std::uint32_t revents) noexcept {
    std::uint32_t wakes_on = op.poll_events & (POLLIN | POLLOUT);
    if (wakes_on == 0) {
        wakes_on = POLLIN;
    }
    constexpr std::uint32_t always = POLLERR | POLLHUP;
    if ((revents & (wakes_on | always)) == 0) {
        return 0;
    }
    return revents & (op.poll_events | wakes_on | always);
}

std::uint32_t to_poll_mask(std::uint32_t epoll_events) noexcept {
    std::uint32_t mask = 0;
    mask |= (epoll_events & EPOLLIN) != 0 ? POLLIN : 0;
    mask |= (epoll_events & EPOLLPRI) != 0 ? POLLPRI : 0;
    mask |= (epoll_events & EPOLLOUT) != 0 ? POLLOUT : 0;
    mask |= (epoll_events & EPOLLERR) != 0 ? POLLERR : 0;
    mask |= (epoll_events & EPOLLHUP) != 0 ? POLLHUP : 0;
    mask |= (epoll_events & EPOLLRDHUP) != 0 ? POLLRDHUP : 0;
    return mask;
}

} // namespace coreloop::detail::epoll
