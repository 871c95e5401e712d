// The io_uring reactor backend: one ring per shard, one SQE per op, submission batched with
// the wait in poll().
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include <liburing.h>

#include "reactor.hpp"
#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail {

/// A reactor on io_uring. SQEs queued by submit() and cancel() reach the kernel in one
/// io_uring_enter per poll(), together with the wait (or earlier, when the SQ fills up).
/// Errors: the constructor throws std::system_error (errno) when the ring, the opcode probe or
/// the wake eventfd cannot be set up; everything else is noexcept.
/// Cancellation: cancel() queues an ASYNC_CANCEL; the op's own CQE completes it.
/// Shard: create, use and destroy on the loop's thread (DEFER_TASKRUN rings reject
/// io_uring_enter from any other thread); only wake() may be called from elsewhere.
class uring_reactor final : public reactor {
public:
    uring_reactor();
    ~uring_reactor() override;
    uring_reactor(const uring_reactor&) = delete;
    uring_reactor& operator=(const uring_reactor&) = delete;

    std::string_view name() const noexcept override { return "io_uring"; }
    void submit(io_op& op) noexcept override;
    void cancel(io_op& op) noexcept override;
    void poll(std::optional<std::chrono::nanoseconds> timeout) noexcept override;
    void wake() noexcept override;
    void forget_fd(int fd) noexcept override;
    std::size_t in_flight() const noexcept override { return in_flight_; }
    void give_back(std::uint16_t id) noexcept override;

    /// The IORING_SETUP_* flags the kernel accepted for this ring.
    unsigned setup_flags() const noexcept { return setup_flags_; }

private:
    /// One reaped CQE, copied out so that callbacks never see the CQ.
    struct completion {
        std::uint64_t user_data;
        int res;
        std::uint32_t flags;
    };

    /// FIFO of ops waiting for an SQE, linked through io_op::next and prev.
    struct op_queue {
        io_op* head = nullptr;
        io_op* tail = nullptr;

        bool empty() const noexcept { return head == nullptr; }
        void push(io_op& op) noexcept;
        void remove(io_op& op) noexcept;
    };

    io_uring_sqe* get_sqe() noexcept;
    bool try_queue(io_op& op) noexcept;
    bool try_queue_cancel(io_op& op) noexcept;
    void arm_wake() noexcept;
    void on_wake() noexcept;
    std::size_t flush_deferred() noexcept;
    bool retry_deferred(io_op& op) noexcept;
    void wait(std::optional<std::chrono::nanoseconds> timeout) noexcept;
    void poll_without_waiting() noexcept;
    void reap() noexcept;
    void deliver(const completion& c) noexcept;
    void complete(io_op& op, int res, std::uint32_t flags) noexcept;
    void cancel_all_on_exit() noexcept;
    bool ensure_buffer_ring() noexcept;
    void free_buffer_ring() noexcept;
    bool discard_completions() noexcept;

    io_uring ring_{};
    unsigned setup_flags_ = 0;
    int wake_fd_ = -1;
    std::uint64_t wake_buf_ = 0;
    io_op wake_op_{};
    bool wake_armed_ = false;
    std::atomic<bool> wake_pending_{false};
    std::size_t in_flight_ = 0;
    op_queue deferred_;
    bool wait_error_logged_ = false;
    // The provided-buffer ring recv_multishot draws from, registered on first use.
    io_uring_buf_ring* buffer_ring_ = nullptr;
    bool buffer_ring_failed_ = false;
};

/// Creates a uring_reactor. Errors: std::system_error as its constructor, or with the errno
/// given to simulate_uring_setup_failure().
std::unique_ptr<reactor> make_uring_reactor();

} // namespace coreloop::detail
