// The length field of an SQE is 32 bits wide; this clamps a buffer length to fit it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace coreloop::detail::uring {

/// len clamped to what an SQE can carry. A larger buffer is then transferred partially, which
/// every caller already handles, instead of wrapping round to a tiny length.
inline constexpr unsigned sqe_len(std::size_t len) noexcept {
    constexpr std::size_t max = std::numeric_limits<std::uint32_t>::max();
    return static_cast<unsigned>(len < max ? len : max);
}

} // namespace coreloop::detail::uring
