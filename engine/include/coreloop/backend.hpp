// Which kernel interface a loop uses for I/O.
#pragma once

#include <string_view>

namespace coreloop {

/// The reactor backend of an event loop.
/// `auto_` probes io_uring (ring setup and every opcode the engine uses) and falls back to
/// epoll on ENOSYS, EPERM (seccomp, kernel.io_uring_disabled), ENOMEM (memlock) or a missing
/// opcode, logging the reason once. The environment variable CORELOOP_BACKEND=io_uring|epoll
/// overrides `auto_`.
enum class backend { auto_, io_uring, epoll };

/// "io_uring", "epoll" or "auto".
std::string_view to_string(backend b) noexcept;

} // namespace coreloop
