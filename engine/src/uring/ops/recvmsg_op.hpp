// recvmsg: receive one message (a datagram with its source address); the CQE's result is the
// byte count.
#pragma once

#include <liburing.h>

#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// Prepares IORING_OP_RECVMSG into op.msg.
inline void prepare_recvmsg(io_uring_sqe* sqe, const io_op& op) noexcept {
    io_uring_prep_recvmsg(sqe, op.fd, op.msg, static_cast<unsigned>(op.msg_flags));
}

} // namespace coreloop::detail::uring
