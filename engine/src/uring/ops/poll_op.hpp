// poll: a oneshot readiness wait; the CQE's result is the revents mask.
#pragma once

#include <liburing.h>

#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// Prepares a oneshot IORING_OP_POLL_ADD for op.poll_events on op.fd.
inline void prepare_poll(io_uring_sqe* sqe, const io_op& op) noexcept {
    io_uring_prep_poll_add(sqe, op.fd, op.poll_events);
}

} // namespace coreloop::detail::uring
