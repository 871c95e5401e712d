// Kernel operations owned by objects rather than awaited by tasks (transports, servers): the
// reactor calls other modules need, behind the loop's private reactor interface.
#pragma once

#include <cstddef>
#include <cstdint>

#include <coreloop/detail/io_op.hpp>
#include <coreloop/detail/loop_core.hpp>

namespace coreloop::detail {

/// Starts op; op.on_complete is called from inside the loop's poll, once per completion, the
/// last without completion_more. op and its buffers must stay valid until then.
void submit_op(loop_core& loop, io_op& op) noexcept;
/// Asks op to end early; its final completion still comes (-ECANCELED if the cancel won).
void cancel_op(loop_core& loop, io_op& op) noexcept;
/// The receive buffer a completion_buffer completion names; give it back when done.
std::byte* recv_buffer(loop_core& loop, std::uint16_t id) noexcept;
void give_back_recv_buffer(loop_core& loop, std::uint16_t id) noexcept;

} // namespace coreloop::detail
