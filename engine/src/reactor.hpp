// The interface between one shard's event loop and the kernel: io_uring or epoll.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "recv_buffers.hpp"
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
/// - Multishot ops (accept_multishot, recv_multishot) complete many times: every completion
///   but the last carries completion_more. recv_multishot fills the reactor's receive buffers
///   (completion_buffer); the owner gives each one back, also after a cancel.
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

    /// Sets the receive buffers' count (a power of two up to 32768) and size; only before the
    /// first recv_multishot.
    void configure_recv_buffers(std::uint32_t count, std::uint32_t size) noexcept {
        buffers_ = recv_buffers(count, size);
    }
    /// Receive buffer `id` of a completion_buffer completion; its first `res` bytes are data.
    std::byte* recv_buffer(std::uint16_t id) const noexcept { return buffers_.data(id); }
    std::uint32_t recv_buffer_size() const noexcept { return buffers_.size(); }
    /// Returns a receive buffer to the pool.
    virtual void give_back(std::uint16_t id) noexcept = 0;

protected:
    recv_buffers buffers_{1024, 8192};
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
