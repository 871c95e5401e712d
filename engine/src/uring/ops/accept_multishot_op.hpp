// accept_multishot: every connection from a listening socket, one CQE each (IORING_CQE_F_MORE
// while the op goes on).
#pragma once

#include <liburing.h>
#include <sys/socket.h>

#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// Prepares a multishot IORING_OP_ACCEPT (Linux 5.19). No address is asked for: every CQE
/// would write into the same one. The new sockets are non-blocking and close-on-exec.
inline void prepare_accept_multishot(io_uring_sqe* sqe, const io_op& op) noexcept {
    io_uring_prep_multishot_accept(sqe, op.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

} // namespace coreloop::detail::uring
