// cancel: ask the kernel to end another op early. Its own CQE only says whether the request
// was found; the target op's CQE is what completes the target.
#pragma once

#include <cstdint>

#include <liburing.h>

namespace coreloop::detail::uring {

/// Prepares IORING_OP_ASYNC_CANCEL of the op submitted with user_data `target`.
inline void prepare_cancel(io_uring_sqe* sqe, std::uint64_t target) noexcept {
    io_uring_prep_cancel64(sqe, target, 0);
}

/// Prepares IORING_OP_ASYNC_CANCEL of every op in the ring (kernel 5.19+; older kernels answer
/// -EINVAL and the ring's exit cancels them instead).
inline void prepare_cancel_all(io_uring_sqe* sqe) noexcept {
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
}

} // namespace coreloop::detail::uring
