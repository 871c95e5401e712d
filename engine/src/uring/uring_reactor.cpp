// The io_uring reactor: queueing SQEs, cancellation, the batched submit-and-wait, and
// completion dispatch.
#include "uring_reactor.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

#include <sys/eventfd.h>
#include <unistd.h>

#include "ops/cancel_op.hpp"
#include "ops/prepare.hpp"
#include "ring_setup.hpp"
#include <coreloop/log.hpp>

namespace coreloop::detail {
namespace {

// user_data of ASYNC_CANCEL SQEs. Their CQEs only say whether the target was found (the
// target's own CQE completes it), so they are dropped. No io_op lives at address 0 or 1.
constexpr std::uint64_t cancel_tag = 0;
constexpr std::uint64_t exit_cancel_tag = 1;

// CQEs copied out per round, and rounds per poll(): the bound keeps one poll() from
// dispatching forever when completions keep arriving; the rest wait for the next poll().
constexpr unsigned reap_batch = 64;
constexpr unsigned max_reap_rounds = 2 * uring::completion_entries / reap_batch;

// How long an abnormal teardown waits for cancelled ops: up to 50 rounds of 20 ms.
constexpr int exit_wait_rounds = 50;
constexpr long exit_wait_step_ns = 20'000'000;

// Values of io_op::backend_state: why an op sits in the deferred queue.
enum class deferral : std::uint8_t {
    none,            // not queued: its SQE is in the ring, or it is not ours
    submit,          // no SQE was free when it was submitted
    cancel,          // in the kernel; no SQE was free for its ASYNC_CANCEL
    cancelled_early, // cancelled before it reached the kernel: completes with -ECANCELED
    unsupported,     // a recv_multishot without a buffer ring: completes with -EOPNOTSUPP
};

deferral state_of(const io_op& op) noexcept {
    return static_cast<deferral>(op.backend_state);
}

void set_state(io_op& op, deferral state) noexcept {
    op.backend_state = static_cast<std::uint8_t>(state);
}

std::uint64_t tag_of(const io_op& op) noexcept {
    return reinterpret_cast<std::uintptr_t>(&op);
}

[[noreturn]] void throw_setup_error(int err, const std::string& step) {
    throw std::system_error(err, std::system_category(), step);
}

} // namespace

void uring_reactor::op_queue::push(io_op& op) noexcept {
    op.prev = tail;
    op.next = nullptr;
    (tail != nullptr ? tail->next : head) = &op;
    tail = &op;
}

void uring_reactor::op_queue::remove(io_op& op) noexcept {
    (op.prev != nullptr ? op.prev->next : head) = op.next;
    (op.next != nullptr ? op.next->prev : tail) = op.prev;
    op.next = nullptr;
    op.prev = nullptr;
}

uring_reactor::uring_reactor() {
    if (int err = uring::simulated_setup_failure(); err != 0) {
        throw_setup_error(err, "io_uring_queue_init_params (simulated failure)");
    }
    if (int res = uring::setup_ring(ring_, setup_flags_); res < 0) {
        throw_setup_error(-res, "io_uring_queue_init_params");
    }
    const char* missing = "";
    if (int res = uring::probe_opcodes(ring_, missing); res < 0) {
        io_uring_queue_exit(&ring_);
        throw_setup_error(-res, std::string("io_uring lacks ") + missing);
    }
    // Blocking on purpose: older kernels (5.9, liburing issue #274) answer an io_uring read on
    // an O_NONBLOCK file with -EAGAIN instead of polling (6.18 polls), which would make the
    // armed wake read spin. wake() never blocks on it: the flag allows one write per drain.
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (wake_fd_ < 0) {
        const int err = errno;
        io_uring_queue_exit(&ring_);
        throw_setup_error(err, "eventfd");
    }
    wake_op_.code = op_code::read;
    wake_op_.fd = wake_fd_;
    wake_op_.buf = &wake_buf_;
    wake_op_.len = sizeof wake_buf_;
}

uring_reactor::~uring_reactor() {
    cancel_all_on_exit();
    io_uring_queue_exit(&ring_); // unregisters the buffer ring too
    free_buffer_ring();
    ::close(wake_fd_);
}

void uring_reactor::submit(io_op& op) noexcept {
    ++in_flight_;
    set_state(op, deferral::none);
    if (op.code == op_code::recv_multishot && !ensure_buffer_ring()) {
        set_state(op, deferral::unsupported);
        deferred_.push(op);
        return;
    }
    // Behind deferred ops, an op must wait its turn: two sends on one socket must not swap.
    if (!deferred_.empty() || !try_queue(op)) {
        set_state(op, deferral::submit);
        deferred_.push(op);
    }
}

void uring_reactor::cancel(io_op& op) noexcept {
    switch (state_of(op)) {
    case deferral::submit:
        set_state(op, deferral::cancelled_early);
        return;
    case deferral::cancel:
    case deferral::cancelled_early:
    case deferral::unsupported:
        return;
    case deferral::none:
        break;
    }
    if (!try_queue_cancel(op)) {
        set_state(op, deferral::cancel);
        deferred_.push(op);
    }
}

void uring_reactor::poll(std::optional<std::chrono::nanoseconds> timeout) noexcept {
    // Completions delivered already or ops still short of an SQE: this poll must not sleep.
    const std::size_t delivered = flush_deferred();
    if (delivered > 0 || !deferred_.empty()) {
        timeout = std::chrono::nanoseconds{0};
    }
    // The wake read is armed only before a poll that may block: a busy loop then never pays
    // for it, and a loop just woken runs its callbacks without another io_uring_enter. A
    // wake() meanwhile stays in the eventfd's counter, so the read, once armed, ends at once.
    if (timeout != std::chrono::nanoseconds{0} && !wake_armed_) {
        arm_wake();
        if (!wake_armed_) {
            timeout = std::chrono::nanoseconds{0}; // no SQE for it: retry on the next poll
        }
    }
    wait(timeout);
    reap();
}

void uring_reactor::wake() noexcept {
    // acq_rel, pairing with the exchange in on_wake(). The flag's modifications are totally
    // ordered: if this exchange finds it set, the loop's clearing exchange comes later, acquires
    // what the caller wrote before wake(), and the loop sees it once poll() returns; if it finds
    // it clear, this call writes the eventfd and the armed read ends the (next) wait.
    if (wake_pending_.exchange(true, std::memory_order_acq_rel)) {
        return;
    }
    const std::uint64_t one = 1;
    // eventfd's write fails only when the counter would overflow, and the flag allows one
    // write per drain, so there is nothing to handle.
    [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
}

void uring_reactor::forget_fd(int /*fd*/) noexcept {
    // io_uring keeps no per-fd state: each op names its fd in its own SQE.
}

io_uring_sqe* uring_reactor::get_sqe() noexcept {
    if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) {
        return sqe;
    }
    // The SQ is full: this iteration queued more than ring_entries SQEs. Submitting early keeps
    // them in order; their completions still wait for poll().
    io_uring_submit(&ring_);
    return io_uring_get_sqe(&ring_);
}

bool uring_reactor::try_queue(io_op& op) noexcept {
    io_uring_sqe* sqe = get_sqe();
    if (sqe == nullptr) {
        return false;
    }
    uring::prepare(sqe, op);
    io_uring_sqe_set_data64(sqe, tag_of(op));
    return true;
}

bool uring_reactor::try_queue_cancel(io_op& op) noexcept {
    io_uring_sqe* sqe = get_sqe();
    if (sqe == nullptr) {
        return false;
    }
    uring::prepare_cancel(sqe, tag_of(op));
    io_uring_sqe_set_data64(sqe, cancel_tag);
    return true;
}

void uring_reactor::arm_wake() noexcept {
    // On failure wake_armed_ stays false and the next poll() retries without sleeping.
    if (io_uring_sqe* sqe = get_sqe()) {
        uring::prepare(sqe, wake_op_);
        io_uring_sqe_set_data64(sqe, tag_of(wake_op_));
        wake_armed_ = true;
    }
}

void uring_reactor::on_wake() noexcept {
    wake_armed_ = false;
    // Pairs with the exchange in wake(): clearing the flag acquires what a wake() that found it
    // set had written before; later wake() calls write the eventfd again.
    wake_pending_.exchange(false, std::memory_order_acq_rel);
    // Re-armed by the next poll() that may block.
}

std::size_t uring_reactor::flush_deferred() noexcept {
    std::size_t delivered = 0;
    while (!deferred_.empty()) {
        io_op& op = *deferred_.head;
        const deferral why = state_of(op);
        if (why == deferral::cancelled_early || why == deferral::unsupported) {
            deferred_.remove(op);
            set_state(op, deferral::none);
            complete(op, why == deferral::unsupported ? -EOPNOTSUPP : -ECANCELED, 0);
            ++delivered;
            continue;
        }
        if (!(why == deferral::submit ? try_queue(op) : try_queue_cancel(op))) {
            break;
        }
        deferred_.remove(op);
        set_state(op, deferral::none);
    }
    return delivered;
}

void uring_reactor::wait(std::optional<std::chrono::nanoseconds> timeout) noexcept {
    if (timeout && timeout->count() <= 0) {
        poll_without_waiting();
        return;
    }
    __kernel_timespec ts{};
    __kernel_timespec* deadline = nullptr;
    if (timeout) {
        const auto ns = timeout->count();
        ts.tv_sec = ns / 1'000'000'000;
        ts.tv_nsec = ns % 1'000'000'000;
        deadline = &ts;
    }
    io_uring_cqe* cqe = nullptr;
    const int res = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, deadline, nullptr);
    // Timeouts, signals and a full CQ (-EBUSY, reaped just below) are part of normal waiting.
    if (res >= 0 || res == -ETIME || res == -EINTR || res == -EBUSY || res == -EAGAIN) {
        return;
    }
    if (!wait_error_logged_) {
        wait_error_logged_ = true;
        std::array<char, 96> message{};
        std::snprintf(message.data(), message.size(),
                      "io_uring_submit_and_wait_timeout failed with errno %d", -res);
        log(log_level::error, message.data());
    }
}

void uring_reactor::poll_without_waiting() noexcept {
    // With TASKRUN_FLAG the kernel says when completion work waits for us to enter; with
    // nothing to submit either, a busy loop skips the syscall (about 1 us on this VM).
    const bool taskrun_known = (setup_flags_ & IORING_SETUP_TASKRUN_FLAG) != 0;
    const unsigned kflags = IO_URING_READ_ONCE(*ring_.sq.kflags);
    const bool work_waits = (kflags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0;
    if (taskrun_known && !work_waits && io_uring_sq_ready(&ring_) == 0) {
        return;
    }
    // GETEVENTS with no minimum runs a DEFER_TASKRUN ring's completion work without waiting.
    // Asking for one completion with a zero timeout instead arms a kernel timer and costs
    // ten times more.
    const int res = io_uring_submit_and_get_events(&ring_);
    if (res < 0 && res != -EINTR && res != -EBUSY && res != -EAGAIN && !wait_error_logged_) {
        wait_error_logged_ = true;
        log(log_level::error,
            "io_uring_submit_and_get_events failed with errno " + std::to_string(-res));
    }
}

void uring_reactor::reap() noexcept {
    std::array<io_uring_cqe*, reap_batch> cqes{};
    std::array<completion, reap_batch> batch{};
    for (unsigned round = 0; round < max_reap_rounds; ++round) {
        // Copy first and advance, then dispatch: a callback may submit, cancel or flush the SQ,
        // and must never find CQ slots we still point into.
        const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes.data(), reap_batch);
        if (n == 0) {
            return;
        }
        for (unsigned i = 0; i < n; ++i) {
            batch[i] = completion{cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
        }
        io_uring_cq_advance(&ring_, n);
        for (unsigned i = 0; i < n; ++i) {
            deliver(batch[i]);
        }
    }
}

void uring_reactor::deliver(const completion& c) noexcept {
    if (c.user_data == tag_of(wake_op_)) {
        on_wake();
        return;
    }
    // LIBURING_UDATA_TIMEOUT marks liburing's own timeout SQE on kernels without EXT_ARG.
    if (c.user_data == cancel_tag || c.user_data == exit_cancel_tag ||
        c.user_data == LIBURING_UDATA_TIMEOUT) {
        return;
    }
    auto* op = reinterpret_cast<io_op*>(static_cast<std::uintptr_t>(c.user_data));
    std::uint32_t flags = (c.flags & IORING_CQE_F_MORE) != 0 ? completion_more : 0;
    if ((c.flags & IORING_CQE_F_BUFFER) != 0) {
        flags |= buffer_flags(static_cast<std::uint16_t>(c.flags >> IORING_CQE_BUFFER_SHIFT));
    }
    complete(*op, c.res, flags);
}

void uring_reactor::complete(io_op& op, int res, std::uint32_t flags) noexcept {
    if ((flags & completion_more) == 0) {
        // It ended before its queued cancel reached the kernel; the cancel is moot.
        if (state_of(op) == deferral::cancel) {
            deferred_.remove(op);
        }
        set_state(op, deferral::none);
        --in_flight_;
    }
    op.on_complete(op, res, flags);
}

void uring_reactor::cancel_all_on_exit() noexcept {
    // Ops still in flight mean an abnormal teardown whose op owners may be gone, so their
    // completions are discarded, not delivered. Waiting for their CQEs still matters: until
    // then the kernel may write into their buffers.
    while (!deferred_.empty()) {
        io_op& op = *deferred_.head;
        if (state_of(op) != deferral::cancel) {
            --in_flight_; // it never reached the kernel
        }
        deferred_.remove(op);
        set_state(op, deferral::none);
    }
    io_uring_sqe* sqe = get_sqe();
    if (sqe == nullptr) {
        return; // io_uring_queue_exit cancels them instead
    }
    uring::prepare_cancel_all(sqe);
    io_uring_sqe_set_data64(sqe, exit_cancel_tag);
    for (int round = 0; round < exit_wait_rounds && (in_flight_ > 0 || wake_armed_); ++round) {
        __kernel_timespec step{};
        step.tv_nsec = exit_wait_step_ns;
        io_uring_cqe* cqe = nullptr;
        const int res = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &step, nullptr);
        if ((res < 0 && res != -ETIME && res != -EINTR) || !discard_completions()) {
            return; // io_uring_queue_exit cancels whatever is left
        }
    }
}

bool uring_reactor::discard_completions() noexcept {
    bool cancel_any_works = true;
    io_uring_cqe* cqe = nullptr;
    while (io_uring_peek_cqe(&ring_, &cqe) == 0 && cqe != nullptr) {
        const std::uint64_t tag = cqe->user_data;
        if (tag == tag_of(wake_op_)) {
            wake_armed_ = false;
        } else if (tag == exit_cancel_tag) {
            // Kernels before 5.19 reject IORING_ASYNC_CANCEL_ANY.
            cancel_any_works = cqe->res != -EINVAL;
        } else if (tag != cancel_tag && tag != LIBURING_UDATA_TIMEOUT &&
                   (cqe->flags & IORING_CQE_F_MORE) == 0) {
            --in_flight_;
        }
        io_uring_cqe_seen(&ring_, cqe);
    }
    return cancel_any_works;
}

void uring_reactor::give_back(std::uint16_t id) noexcept {
    // Visible to the kernel at once: the advance is a release store of the ring's tail.
    io_uring_buf_ring_add(buffer_ring_, buffers_.data(id), buffers_.size(), id,
                          io_uring_buf_ring_mask(buffers_.count()), 0);
    io_uring_buf_ring_advance(buffer_ring_, 1);
}

// Registers the provided-buffer ring (liburing 2.3 has no io_uring_setup_buf_ring, so the
// ring's memory is ours). Failure (a kernel before 5.19, ENOMEM) is remembered: multishot
// receives then complete with -EOPNOTSUPP and their owners use plain receives.
bool uring_reactor::ensure_buffer_ring() noexcept {
    if (buffer_ring_ != nullptr || buffer_ring_failed_) {
        return buffer_ring_ != nullptr;
    }
    buffer_ring_failed_ = true;
    const std::uint32_t count = buffers_.count();
    if (!buffers_.allocated() && !buffers_.allocate()) {
        return false;
    }
    constexpr std::size_t page = 4096;
    const std::size_t bytes = (count * sizeof(io_uring_buf) + page - 1) / page * page;
    void* memory = nullptr;
    if (::posix_memalign(&memory, page, bytes) != 0) {
        return false;
    }
    auto* ring = static_cast<io_uring_buf_ring*>(memory);
    io_uring_buf_ring_init(ring);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(ring);
    reg.ring_entries = count;
    reg.bgid = uring::recv_buffer_group;
    if (io_uring_register_buf_ring(&ring_, &reg, 0) < 0) {
        std::free(memory);
        return false;
    }
    const int mask = io_uring_buf_ring_mask(count);
    for (std::uint32_t id = 0; id < count; ++id) {
        io_uring_buf_ring_add(ring, buffers_.data(static_cast<std::uint16_t>(id)), buffers_.size(),
                              static_cast<unsigned short>(id), mask, static_cast<int>(id));
    }
    io_uring_buf_ring_advance(ring, static_cast<int>(count));
    buffer_ring_ = ring;
    buffer_ring_failed_ = false;
    return true;
}

void uring_reactor::free_buffer_ring() noexcept {
    std::free(buffer_ring_);
    buffer_ring_ = nullptr;
}

std::unique_ptr<reactor> make_uring_reactor() {
    return std::make_unique<uring_reactor>();
}

} // namespace coreloop::detail
