// Awaiters for one kernel I/O operation. The op record lives in the awaiter, inside the
// suspended coroutine's frame; a cancel waits for the op's own completion before the task
// resumes, so the kernel never writes into memory that is gone.
#pragma once

#include <coroutine>
#include <cstddef>
#include <span>
#include <utility>

#include <coreloop/detail/io_op.hpp>
#include <coreloop/detail/loop_core.hpp>
#include <coreloop/detail/task_core.hpp>
#include <coreloop/socket.hpp>

namespace coreloop::detail {

class io_awaiter_base : public io_op {
public:
    explicit io_awaiter_base(loop_core& loop) noexcept
        : loop_(&loop) {}
    io_awaiter_base(io_awaiter_base&& other) noexcept
        : io_op(static_cast<const io_op&>(other))
        , loop_(other.loop_) {}
    io_awaiter_base& operator=(io_awaiter_base&&) = delete;
    ~io_awaiter_base();

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    /// While the op is in flight: asks the kernel to cancel it; either way the cancellation
    /// is this awaiter's to deliver (see take_result).
    bool await_cancel() noexcept;

protected:
    /// The op's result (>= 0). A cancel that won throws cancelled_error; one that lost
    /// delivers the result and re-arms the cancel for the task's next suspension.
    /// Errors: a negative result throws the matching io_error, naming `what`.
    int take_result(const char* what);

private:
    enum class phase : unsigned char { idle, in_flight, done };
    static void on_done(io_op& op, int res, std::uint32_t flags) noexcept;

    friend struct loop_core;

    loop_core* loop_;
    io_awaiter_base* next_in_flight_ = nullptr; // loop_core's list of ops in the kernel
    io_awaiter_base* prev_in_flight_ = nullptr;
    task_core* task_ = nullptr;
    std::coroutine_handle<> waiting_;
    int result_ = 0;
    phase phase_ = phase::idle;
    bool cancel_requested_ = false;
};

class recv_into_awaiter : public io_awaiter_base {
public:
    recv_into_awaiter(loop_core& loop, int fd, std::span<std::byte> buffer) noexcept;
    std::size_t await_resume() { return static_cast<std::size_t>(take_result("recv")); }
};

class send_awaiter : public io_awaiter_base {
public:
    send_awaiter(loop_core& loop, int fd, std::span<const std::byte> data) noexcept;
    std::size_t await_resume() { return static_cast<std::size_t>(take_result("send")); }
};

class accept_awaiter : public io_awaiter_base {
public:
    accept_awaiter(loop_core& loop, int fd) noexcept;
    accept_awaiter(accept_awaiter&& other) noexcept;
    void await_suspend(std::coroutine_handle<> h);
    std::pair<socket, sock_address> await_resume();

private:
    sock_address peer_;
};

class connect_awaiter : public io_awaiter_base {
public:
    connect_awaiter(loop_core& loop, int fd, const sock_address& address) noexcept;
    connect_awaiter(connect_awaiter&& other) noexcept;
    void await_suspend(std::coroutine_handle<> h);
    void await_resume() { take_result("connect"); }

private:
    sock_address address_;
};

} // namespace coreloop::detail
