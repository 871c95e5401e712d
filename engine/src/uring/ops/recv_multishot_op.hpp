// recv_multishot: receive into buffers the kernel picks from the ring's provided-buffer group,
// one CQE per chunk (IORING_CQE_F_MORE while the op goes on).
#pragma once

#include <liburing.h>

#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// The buffer group of the reactor's receive buffers (one group per ring).
inline constexpr unsigned short recv_buffer_group = 0;

/// Prepares a multishot IORING_OP_RECV (Linux 6.0) with buffer selection from
/// recv_buffer_group: an idle socket holds no buffer.
inline void prepare_recv_multishot(io_uring_sqe* sqe, const io_op& op) noexcept {
    io_uring_prep_recv_multishot(sqe, op.fd, nullptr, 0, op.msg_flags);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = recv_buffer_group;
}

} // namespace coreloop::detail::uring
