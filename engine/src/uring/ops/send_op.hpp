// send: send one buffer; the CQE's result is the byte count.
#pragma once

#include <liburing.h>
#include <sys/socket.h>

#include "sqe_len.hpp"
#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// Prepares IORING_OP_SEND of op.buf. MSG_NOSIGNAL turns a closed peer into -EPIPE instead of
/// a process-killing SIGPIPE.
inline void prepare_send(io_uring_sqe* sqe, const io_op& op) noexcept {
    io_uring_prep_send(sqe, op.fd, op.buf, sqe_len(op.len), op.msg_flags | MSG_NOSIGNAL);
}

} // namespace coreloop::detail::uring
