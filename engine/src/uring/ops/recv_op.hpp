// recv: receive into one buffer; the CQE's result is the byte count (0 at end of stream).
#pragma once

#include <liburing.h>

#include "sqe_len.hpp"
#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// Prepares IORING_OP_RECV of up to op.len bytes into op.buf.
inline void prepare_recv(io_uring_sqe* sqe, const io_op& op) noexcept {
    io_uring_prep_recv(sqe, op.fd, op.buf, sqe_len(op.len), op.msg_flags);
}

} // namespace coreloop::detail::uring
