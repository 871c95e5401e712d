// connect: start and finish a connection; the CQE's result is 0 once connected.
#pragma once

#include <liburing.h>

#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// Prepares IORING_OP_CONNECT to op.addr (op.addr_len bytes).
inline void prepare_connect(io_uring_sqe* sqe, const io_op& op) noexcept {
    io_uring_prep_connect(sqe, op.fd, op.addr, op.addr_len);
}

} // namespace coreloop::detail::uring
