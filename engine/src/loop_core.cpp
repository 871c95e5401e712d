// The engine-internal side of a loop: reporting, thread checks, and tracking kernel ops.
#include <coreloop/detail/loop_core.hpp>

#include <chrono>

#include "reactor.hpp"
#include <coreloop/detail/raw_io.hpp>
#include <coreloop/event_loop.hpp>
#include <coreloop/log.hpp>

namespace coreloop::detail {

void loop_core::report(const exception_context& context) noexcept {
    owner->call_exception_handler(context);
}

void loop_core::check_thread(const char* what) const {
    if (debug && std::this_thread::get_id() != thread) {
        throw std::runtime_error(std::string("Non-thread-safe operation ") + what +
                                 " invoked on an event loop other than the current one");
    }
}

void warn_never_awaited() noexcept {
    if (tls_running_loop != nullptr && tls_running_loop->debug) {
        log(log_level::warning, "a coroutine was destroyed without being awaited (a coro runs "
                                "only when awaited or passed to create_task)");
    }
}

void report_callback_exception(loop_core& loop, std::exception_ptr e) noexcept {
    exception_context context;
    context.message = "Exception in callback";
    context.exception = std::move(e);
    loop.report(context);
}

loop_core& running_loop_core() {
    if (tls_running_loop == nullptr) {
        throw std::runtime_error("no running event loop");
    }
    return *tls_running_loop;
}

void forget_fd_on_running_loop(int fd) noexcept {
    if (tls_running_loop != nullptr && tls_running_loop->io != nullptr) {
        tls_running_loop->io->forget_fd(fd);
    }
}

void loop_core::submit(io_awaiter_base& op) noexcept {
    op.next_in_flight_ = ops_in_flight;
    op.prev_in_flight_ = nullptr;
    if (ops_in_flight != nullptr) {
        ops_in_flight->prev_in_flight_ = &op;
    }
    ops_in_flight = &op;
    io->submit(op);
}

void loop_core::op_finished(io_awaiter_base& op) noexcept {
    (op.prev_in_flight_ != nullptr ? op.prev_in_flight_->next_in_flight_ : ops_in_flight) =
            op.next_in_flight_;
    if (op.next_in_flight_ != nullptr) {
        op.next_in_flight_->prev_in_flight_ = op.prev_in_flight_;
    }
    op.next_in_flight_ = op.prev_in_flight_ = nullptr;
}

void loop_core::cancel_and_drain(io_awaiter_base& op) noexcept {
    if (!op.cancel_requested_) {
        op.cancel_requested_ = true;
        io->cancel(op);
    }
    // Its task is being destroyed: the completion must not wake it.
    op.task_ = nullptr;
    while (op.phase_ == io_awaiter_base::phase::in_flight) {
        io->poll(std::chrono::milliseconds(10));
    }
}

void loop_core::cancel_all_ops() noexcept {
    for (io_awaiter_base* op = ops_in_flight; op != nullptr; op = op->next_in_flight_) {
        op->task_ = nullptr; // the loop is closing: nothing is to be woken
        if (!op->cancel_requested_) {
            op->cancel_requested_ = true;
            io->cancel(*op);
        }
    }
    auto give_up = clock::now() + std::chrono::seconds(5);
    while (io->in_flight() > 0 && clock::now() < give_up) {
        io->poll(std::chrono::milliseconds(10));
    }
    if (io->in_flight() > 0) {
        log(log_level::error, "event loop closed with kernel operations that did not end");
    }
}

void loop_core::run_flushes() noexcept {
    while (flush_hook* h = flushes) {
        flushes = h->next_flush;
        h->next_flush = nullptr;
        h->flush_queued = false;
        h->run(*h);
    }
}

void loop_core::add_resource(loop_resource& r) noexcept {
    r.prev_resource_ = nullptr;
    r.next_resource_ = resources;
    if (resources != nullptr) {
        resources->prev_resource_ = &r;
    }
    resources = &r;
}

void loop_core::remove_resource(loop_resource& r) noexcept {
    (r.prev_resource_ != nullptr ? r.prev_resource_->next_resource_ : resources) = r.next_resource_;
    if (r.next_resource_ != nullptr) {
        r.next_resource_->prev_resource_ = r.prev_resource_;
    }
    r.next_resource_ = r.prev_resource_ = nullptr;
}

void loop_core::close_resources() noexcept {
    while (loop_resource* r = resources) {
        remove_resource(*r);
        r->on_loop_close();
    }
    // The resources dropped their buffered writes: nothing is left to flush.
    while (flush_hook* h = flushes) {
        flushes = h->next_flush;
        h->next_flush = nullptr;
        h->flush_queued = false;
    }
}

void submit_op(loop_core& loop, io_op& op) noexcept {
    loop.io->submit(op);
}

void cancel_op(loop_core& loop, io_op& op) noexcept {
    loop.io->cancel(op);
}

std::byte* recv_buffer(loop_core& loop, std::uint16_t id) noexcept {
    return loop.io->recv_buffer(id);
}

void give_back_recv_buffer(loop_core& loop, std::uint16_t id) noexcept {
    loop.io->give_back(id);
}

} // namespace coreloop::detail
