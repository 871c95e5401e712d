// One kernel I/O operation awaited by a task, on either backend.
#include <coreloop/detail/io_awaiter.hpp>

#include <cerrno>
#include <stdexcept>

#include "reactor.hpp"
#include <coreloop/exceptions.hpp>

namespace coreloop::detail {

io_awaiter_base::~io_awaiter_base() {
    if (phase_ == phase::in_flight) {
        // The frame is being destroyed with the op still in the kernel (its task was
        // dropped): the buffers must outlive the op, so cancel it and wait for its end.
        loop_->cancel_and_drain(*this);
    }
}

void io_awaiter_base::await_suspend(std::coroutine_handle<> h) {
    task_ = current_task_core();
    if (task_ == nullptr) {
        throw std::runtime_error("socket operations can only be awaited inside a task");
    }
    waiting_ = h;
    on_complete = &io_awaiter_base::on_done;
    phase_ = phase::in_flight;
    loop_->submit(*this);
}

bool io_awaiter_base::await_cancel() noexcept {
    if (!cancel_requested_ && phase_ == phase::in_flight) {
        loop_->io->cancel(*this);
    }
    cancel_requested_ = true;
    return true;
}

void io_awaiter_base::on_done(io_op& op, int res, std::uint32_t /*flags*/) noexcept {
    auto& self = static_cast<io_awaiter_base&>(op);
    self.result_ = res;
    self.phase_ = phase::done;
    self.loop_->op_finished(self);
    if (self.task_ != nullptr) {
        self.task_->wake(self.waiting_);
    }
}

int io_awaiter_base::take_result(const char* what) {
    if (cancel_requested_) {
        if (result_ == -ECANCELED) {
            throw task_->state().make_cancelled_error();
        }
        task_->rearm_cancel(); // the op finished first: deliver its result, cancel later
    }
    if (result_ < 0) {
        throw_io_error(-result_, what);
    }
    return result_;
}

recv_into_awaiter::recv_into_awaiter(loop_core& loop,
                                     int socket_fd,
                                     std::span<std::byte> buffer) noexcept
    : io_awaiter_base(loop) {
    code = op_code::recv;
    fd = socket_fd;
    buf = buffer.data();
    len = buffer.size();
}

send_awaiter::send_awaiter(loop_core& loop, int socket_fd, std::span<const std::byte> data) noexcept
    : io_awaiter_base(loop) {
    code = op_code::send;
    fd = socket_fd;
    // The kernel only reads from buf for a send.
    buf = const_cast<std::byte*>(data.data());
    len = data.size();
}

accept_awaiter::accept_awaiter(loop_core& loop, int socket_fd) noexcept
    : io_awaiter_base(loop) {
    code = op_code::accept;
    fd = socket_fd;
}

accept_awaiter::accept_awaiter(accept_awaiter&& other) noexcept
    : io_awaiter_base(std::move(other))
    , peer_(other.peer_) {}

void accept_awaiter::await_suspend(std::coroutine_handle<> h) {
    // The address fields point into this object, which no longer moves once suspended.
    peer_.reset_size();
    addr = peer_.data();
    addr_len_out = peer_.size_ptr();
    io_awaiter_base::await_suspend(h);
}

std::pair<socket, sock_address> accept_awaiter::await_resume() {
    int accepted = take_result("accept");
    return {socket(accepted), peer_};
}

connect_awaiter::connect_awaiter(loop_core& loop,
                                 int socket_fd,
                                 const sock_address& address) noexcept
    : io_awaiter_base(loop)
    , address_(address) {
    code = op_code::connect;
    fd = socket_fd;
}

connect_awaiter::connect_awaiter(connect_awaiter&& other) noexcept
    : io_awaiter_base(std::move(other))
    , address_(other.address_) {}

void connect_awaiter::await_suspend(std::coroutine_handle<> h) {
    addr = address_.data();
    addr_len = address_.size();
    io_awaiter_base::await_suspend(h);
}

} // namespace coreloop::detail
