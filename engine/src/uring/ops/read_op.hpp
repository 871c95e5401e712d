// read: read(2) into one buffer; the CQE's result is the byte count (0 at end of file).
#pragma once

#include <cstdint>

#include <liburing.h>

#include "sqe_len.hpp"
#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// Offset -1 means "the file position", as read(2) does; pipes and sockets have none.
inline constexpr std::uint64_t current_position = static_cast<std::uint64_t>(-1);

/// Prepares IORING_OP_READ of up to op.len bytes into op.buf at the current position.
inline void prepare_read(io_uring_sqe* sqe, const io_op& op) noexcept {
    io_uring_prep_read(sqe, op.fd, op.buf, sqe_len(op.len), current_position);
}

} // namespace coreloop::detail::uring
