// The epoll backend: io_uring's completion model emulated over level-triggered readiness, as
// libuv and asio do. Each op is tried at once and, if it would block, retried on readiness.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <sys/epoll.h>

#include "epoll/perform.hpp"
#include "epoll/waiter_list.hpp"
#include "reactor.hpp"

namespace coreloop::detail {

/// The reactor for kernels or containers without a usable io_uring.
/// Ops on one fd and direction complete in submission order. Multishot ops stay queued and
/// run a few times per readiness event (level-triggered epoll reports the rest next time). fds must
/// be non-blocking (the loop creates them so); socket ops add MSG_DONTWAIT, but read/write on a
/// blocking fd would block the shard. A poll op that wants both POLLIN and POLLOUT waits on the
/// read list and is also woken by writability. Interest in a direction outlives its last waiter
/// until an event shows it idle, which saves an epoll_ctl per op; so the owner must call
/// forget_fd() before closing. If it does not, a reused fd number still works when it comes from an
/// accept op or when its first op needs a direction not registered before, but an op that finds its
/// direction already (stalely) registered can wait forever. Errors: the constructor throws
/// std::system_error (errno) if epoll or the eventfd cannot be made; ops report -errno through
/// their completion. Shard: one thread, except wake().
class epoll_reactor final : public reactor {
public:
    epoll_reactor();
    ~epoll_reactor() override;
    epoll_reactor(const epoll_reactor&) = delete;
    epoll_reactor& operator=(const epoll_reactor&) = delete;

    std::string_view name() const noexcept override { return "epoll"; }
    void submit(io_op& op) noexcept override;
    void cancel(io_op& op) noexcept override;
    void poll(std::optional<std::chrono::nanoseconds> timeout) noexcept override;
    void wake() noexcept override;
    void forget_fd(int fd) noexcept override;
    std::size_t in_flight() const noexcept override { return in_flight_; }
    void give_back(std::uint16_t id) noexcept override { free_buffers_.push_back(id); }

private:
    /// What the reactor knows about one fd number.
    struct fd_state {
        std::uint32_t registered = 0; ///< epoll events currently in the interest list
        std::uint32_t polls = 0;      ///< poll ops waiting in either list
        std::uint32_t dual_polls = 0; ///< poll ops in `readers` that also want POLLOUT
        epoll::waiter_list readers;
        epoll::waiter_list writers;
    };

    /// An op whose result is known, waiting for the next poll() to deliver it.
    struct completion {
        io_op* op;
        int res;
        std::uint32_t flags;
    };

    fd_state& state_for(int fd);
    bool has_waiters(int fd, epoll::direction d) const noexcept;
    void enqueue(io_op& op) noexcept;
    void unlink(fd_state& st, io_op& op) noexcept;
    void complete_later(io_op& op, int res) noexcept;
    int multishot_round(io_op& op) noexcept;
    int recv_into_pool(io_op& op, std::uint32_t& flags) noexcept;
    void reset_reused_fd(int fd) noexcept;
    int set_interest(int fd, fd_state& st, std::uint32_t events) noexcept;
    void drop_idle_interest(int fd, fd_state& st, bool read_ready, bool write_ready) noexcept;
    int wait(std::optional<std::chrono::nanoseconds> timeout) noexcept;
    int wait_once(std::optional<std::chrono::nanoseconds> timeout) noexcept;
    void handle_event(const ::epoll_event& ev) noexcept;
    void
    run_waiters(fd_state& st, epoll::waiter_list& list, std::uint32_t mask, bool io_too) noexcept;
    void end_waiters(fd_state& st, epoll::waiter_list& list, int res) noexcept;
    void deliver() noexcept;
    void drain_wake() noexcept;

    int epoll_fd_ = -1;
    int wake_fd_ = -1;
    bool has_pwait2_ = true;
    std::size_t in_flight_ = 0;
    std::vector<fd_state> fds_;
    std::vector<completion> completed_;
    // Ids of the receive buffers no recv_multishot completion holds; filled on first use.
    std::vector<std::uint16_t> free_buffers_;
    bool buffers_failed_ = false;
    // Swapped with completed_ while delivering, so completions made by on_complete callbacks
    // wait for the next poll() and a steady state allocates nothing.
    std::vector<completion> delivering_;
    std::array<::epoll_event, 128> events_{};
};

} // namespace coreloop::detail
