// Creating an io_uring with the best setup flags the kernel accepts, and checking that it
// supports every opcode the engine uses.
#pragma once

#include <liburing.h>

namespace coreloop::detail::uring {

/// Submission queue entries per ring: enough for one iteration's batch on a busy shard; a
/// bigger batch is flushed early (see uring_reactor::get_sqe).
inline constexpr unsigned ring_entries = 256;

/// Completion queue entries: several per SQE, because multishot ops and a burst of
/// completions between two reaps must not overflow into the kernel's slow overflow list.
inline constexpr unsigned completion_entries = 4 * ring_entries;

/// Initialises ring, trying SINGLE_ISSUER|DEFER_TASKRUN first and dropping flags one step at a
/// time while the kernel answers -EINVAL. Returns 0 and sets accepted_flags, or -errno.
int setup_ring(io_uring& ring, unsigned& accepted_flags) noexcept;

/// Returns 0 if ring supports every opcode the engine uses; else -ENOSYS with missing naming
/// the first absent opcode, or -errno if the probe itself failed.
int probe_opcodes(io_uring& ring, const char*& missing) noexcept;

/// The errno set by simulate_uring_setup_failure(), or 0.
int simulated_setup_failure() noexcept;

} // namespace coreloop::detail::uring
