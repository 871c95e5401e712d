// The interface between one shard's event loop and the kernel: io_uring or epoll.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <coreloop/backend.hpp>
#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail {

/// One per loop, used only from the loop's thread (except wake()).
///
/// Contract shared by both backends:
/// - submit(op) starts op; every op gets exactly one final completion (one without
///   completion_more) through op.on_complete, called only from inside poll(), never from
///   submit() or cancel().
/// - cancel(op) asks for op to end early; its completion still arrives through poll(), with
///   -ECANCELED if the cancel won or the op's real result if it completed first. Until that
///   completion the op record and its buffers stay valid and must not be reused.
/// - Ops waiting at the same time on one fd and direction complete in no guaranteed order.
/// - fds must be non-blocking, and the owner calls forget_fd(fd) before closing fd.
/// - poll(timeout) submits queued work, delivers ready completions, and blocks for at most
///   timeout (nullopt: until something completes or wake() is called) only when nothing
///   completed.
class reactor {
public:
    virtual ~reactor() = default;

    virtual std::string_view name() const noexcept = 0;
    virtual void submit(io_op& op) noexcept = 0;
    virtual void cancel(io_op& op) noexcept = 0;
    virtual void poll(std::optional<std::chrono::nanoseconds> timeout) noexcept = 0;
    /// Thread-safe: makes a blocked (or the next) poll() return.
    virtual void wake() noexcept = 0;
    /// fd is about to be closed by its owner: drop per-fd state. No op on fd is in flight.
    virtual void forget_fd(int fd) noexcept = 0;
    /// Ops submitted whose final completion has not been delivered yet.
    virtual std::size_t in_flight() const noexcept = 0;
};

/// Makes the reactor for `b` (auto_: io_uring if usable, else epoll; CORELOOP_BACKEND is
/// honoured). Logs the fallback reason once per process. Throws std::system_error when the
/// explicitly requested backend cannot be created.
std::unique_ptr<reactor> make_reactor(backend b);

std::unique_ptr<reactor> make_uring_reactor(); // throws std::system_error (errno) if unusable
std::unique_ptr<reactor> make_epoll_reactor(); // throws std::system_error

/// Test hook: make the next io_uring setups fail with -err (0 restores normal behaviour).
void simulate_uring_setup_failure(int err) noexcept;

} // namespace coreloop::detail
