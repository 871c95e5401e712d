// sendmsg: gathered send of op.msg's iovecs; the CQE's result is the byte count.
#pragma once

#include <liburing.h>
#include <sys/socket.h>

#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// Prepares IORING_OP_SENDMSG of *op.msg, with MSG_NOSIGNAL for the same reason as send.
inline void prepare_sendmsg(io_uring_sqe* sqe, const io_op& op) noexcept {
    const auto flags = static_cast<unsigned>(op.msg_flags | MSG_NOSIGNAL);
    io_uring_prep_sendmsg(sqe, op.fd, op.msg, flags);
}

} // namespace coreloop::detail::uring
