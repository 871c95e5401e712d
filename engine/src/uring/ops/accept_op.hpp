// accept: one connection from a listening socket; the CQE's result is the new fd.
#pragma once

#include <liburing.h>
#include <sys/socket.h>

#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// Prepares a single-shot IORING_OP_ACCEPT. The new socket is non-blocking (the engine drives
/// it through the reactor) and close-on-exec (so subprocesses do not inherit it).
inline void prepare_accept(io_uring_sqe* sqe, const io_op& op) noexcept {
    io_uring_prep_accept(sqe, op.fd, op.addr, op.addr_len_out, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

} // namespace coreloop::detail::uring
