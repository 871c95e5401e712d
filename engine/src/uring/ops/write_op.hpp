// write: write(2) from one buffer; the CQE's result is the byte count.
#pragma once

#include <liburing.h>

#include "read_op.hpp"
#include "sqe_len.hpp"
#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// Prepares IORING_OP_WRITE of op.buf at the current position (see read_op.hpp).
inline void prepare_write(io_uring_sqe* sqe, const io_op& op) noexcept {
    io_uring_prep_write(sqe, op.fd, op.buf, sqe_len(op.len), current_position);
}

} // namespace coreloop::detail::uring
