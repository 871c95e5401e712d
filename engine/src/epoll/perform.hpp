// Performs one io_op with its non-blocking syscall: the "proactor over readiness" step of the
// epoll backend. The reactor decides when to call it; this file only knows the syscalls.
#pragma once

#include <cstdint>

#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::epoll {

/// perform() returns this when the op must wait for readiness. It is not a valid result: ops
/// return >= 0 or -errno, and -EAGAIN itself never reaches the user.
inline constexpr int would_block = -0x7fff'0000;

/// Bit of io_op::backend_state set by perform() once a connect is in progress (EINPROGRESS);
/// from then on the op reads SO_ERROR instead of calling connect() again. The reactor keeps
/// its own bits out of this one.
inline constexpr std::uint8_t connect_started = 0x80;

/// Which waiter list of an fd an op blocks on.
enum class direction : std::uint8_t { read, write };

/// Runs op's syscall once, retrying EINTR. Returns the op's result (>= 0 or -errno) or
/// would_block. A poll op is checked with a zero-timeout poll(2).
/// Errors: -errno of the syscall. Shard: the reactor's thread.
int perform(io_op& op) noexcept;

/// The list a waiting op joins. Poll ops that want POLLOUT and no read-side event wait on the
/// write list; every other poll op (including one that wants both POLLIN and POLLOUT) waits on
/// the read list, and is_dual_poll() tells the reactor to watch writability for it as well.
direction direction_of(const io_op& op) noexcept;

/// True for a poll op that wants both a read-side event and POLLOUT.
bool is_dual_poll(const io_op& op) noexcept;

/// A poll op's result for the ready mask `revents` (POLL* bits), or 0 when nothing it waits
/// for is ready. POLLERR and POLLHUP are always reported, as poll(2) and io_uring do. A poll op
/// that names neither POLLIN nor POLLOUT (only POLLPRI or POLLRDHUP, say) is woken by POLLIN.
std::uint32_t poll_result(const io_op& op, std::uint32_t revents) noexcept;

/// Converts an epoll event mask to the POLL* bits poll ops report.
std::uint32_t to_poll_mask(std::uint32_t epoll_events) noexcept;

} // namespace coreloop::detail::epoll
