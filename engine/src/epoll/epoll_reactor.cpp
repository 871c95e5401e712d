// The epoll reactor: per-fd FIFO waiter lists, lazy interest updates, and completions queued
// until poll() so that the loop sees the same contract as with io_uring.
#include "epoll/epoll_reactor.hpp"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <climits>
#include <ctime>
#include <system_error>
#include <utility>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace coreloop::detail {
namespace {

using epoll::direction;

// io_op::backend_state: where the op is. The connect_started bit belongs to perform().
constexpr std::uint8_t where_mask = 0x03;
constexpr std::uint8_t in_readers = 1;
constexpr std::uint8_t in_writers = 2;
constexpr std::uint8_t in_completed = 3;

constexpr std::uint32_t read_interest = EPOLLIN | EPOLLRDHUP;

// Completions a multishot op may produce per readiness event, so that one busy socket cannot
// hold the loop.
constexpr int multishot_per_event = 8;

bool is_multishot(const io_op& op) noexcept {
    return op.code == op_code::accept_multishot || op.code == op_code::recv_multishot;
}
constexpr std::uint32_t write_interest = EPOLLOUT;

/// poll()'s timeout for epoll_wait: milliseconds rounded up, so that a timer due in 0.3 ms
/// does not make the loop spin with zero-length waits.
int timeout_ms(std::optional<std::chrono::nanoseconds> timeout) noexcept {
    if (!timeout) {
        return -1;
    }
    long long ns = std::max<long long>(timeout->count(), 0);
    long long ms = ns / 1'000'000 + (ns % 1'000'000 != 0 ? 1 : 0);
    return static_cast<int>(std::min<long long>(ms, INT_MAX));
}

int epoll_ctl_fd(int epoll_fd, int op, int fd, std::uint32_t events) noexcept {
    ::epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    return ::epoll_ctl(epoll_fd, op, fd, &ev) < 0 ? -errno : 0;
}

} // namespace

epoll_reactor::epoll_reactor() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) {
        throw std::system_error(errno, std::system_category(), "epoll_create1");
    }
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int err = wake_fd_ < 0 ? errno : -epoll_ctl_fd(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, EPOLLIN);
    if (err != 0) {
        if (wake_fd_ >= 0) {
            ::close(wake_fd_);
        }
        ::close(epoll_fd_);
        throw std::system_error(err, std::system_category(), "epoll reactor wake eventfd");
    }
    completed_.reserve(64);
    delivering_.reserve(64);
}

epoll_reactor::~epoll_reactor() {
    ::close(wake_fd_);
    ::close(epoll_fd_);
}

void epoll_reactor::submit(io_op& op) noexcept {
    ++in_flight_;
    op.backend_state = 0;
    op.next = nullptr;
    op.prev = nullptr;
    if (op.fd < 0) {
        complete_later(op, -EBADF);
        return;
    }
    // Optimistic: a busy server's recv usually finds data. But an op must not overtake ops
    // already waiting on the same direction, or two recvs would complete out of order.
    if (!has_waiters(op.fd, epoll::direction_of(op))) {
        int res = is_multishot(op) ? multishot_round(op) : epoll::perform(op);
        if (res != epoll::would_block) {
            complete_later(op, res);
            return;
        }
    }
    enqueue(op);
}

void epoll_reactor::cancel(io_op& op) noexcept {
    std::uint8_t where = op.backend_state & where_mask;
    // An op already in completed_ keeps its real result; an idle op has nothing to cancel.
    if (where == in_readers || where == in_writers) {
        unlink(fds_[static_cast<std::size_t>(op.fd)], op);
        complete_later(op, -ECANCELED);
    }
}

void epoll_reactor::poll(std::optional<std::chrono::nanoseconds> timeout) noexcept {
    if (!completed_.empty()) {
        timeout = std::chrono::nanoseconds{0};
    }
    int n = wait(timeout);
    for (int i = 0; i < n; ++i) {
        handle_event(events_[static_cast<std::size_t>(i)]);
    }
    deliver();
}

void epoll_reactor::wake() noexcept {
    std::uint64_t one = 1;
    // Only EAGAIN (counter at 2^64 - 2) can fail, and then a wake-up is pending anyway.
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void epoll_reactor::forget_fd(int fd) noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) {
        return;
    }
    fd_state& st = fds_[static_cast<std::size_t>(fd)];
    assert(st.readers.empty() && st.writers.empty() && "forget_fd() with ops in flight on fd");
    // Release builds end such ops rather than leave them waiting on a number about to be reused.
    end_waiters(st, st.readers, -EBADF);
    end_waiters(st, st.writers, -EBADF);
    if (st.registered != 0) {
        // ENOENT here means the fd was already closed, which removed it from the set.
        epoll_ctl_fd(epoll_fd_, EPOLL_CTL_DEL, fd, 0);
    }
    st = fd_state{};
}

epoll_reactor::fd_state& epoll_reactor::state_for(int fd) {
    auto index = static_cast<std::size_t>(fd);
    if (index >= fds_.size()) {
        fds_.resize(std::max(index + 1, fds_.size() * 2));
    }
    return fds_[index];
}

bool epoll_reactor::has_waiters(int fd, direction d) const noexcept {
    auto index = static_cast<std::size_t>(fd);
    if (index >= fds_.size()) {
        return false;
    }
    const fd_state& st = fds_[index];
    return d == direction::read ? !st.readers.empty() : !st.writers.empty();
}

void epoll_reactor::enqueue(io_op& op) noexcept {
    fd_state& st = state_for(op.fd);
    direction d = epoll::direction_of(op);
    bool dual = epoll::is_dual_poll(op);
    std::uint32_t wanted = st.registered | (d == direction::read ? read_interest : write_interest);
    if (dual) {
        wanted |= write_interest;
    }
    if (int err = set_interest(op.fd, st, wanted); err < 0) {
        complete_later(op, err);
        return;
    }
    auto& list = d == direction::read ? st.readers : st.writers;
    list.push_back(op);
    op.backend_state = static_cast<std::uint8_t>((op.backend_state & epoll::connect_started) |
                                                 (d == direction::read ? in_readers : in_writers));
    st.polls += op.code == op_code::poll ? 1 : 0;
    st.dual_polls += dual ? 1 : 0;
}

void epoll_reactor::unlink(fd_state& st, io_op& op) noexcept {
    auto& list = (op.backend_state & where_mask) == in_readers ? st.readers : st.writers;
    list.erase(op);
    op.backend_state = 0;
    st.polls -= op.code == op_code::poll ? 1 : 0;
    st.dual_polls -= epoll::is_dual_poll(op) ? 1 : 0;
}

void epoll_reactor::complete_later(io_op& op, int res) noexcept {
    op.backend_state = in_completed;
    completed_.push_back(completion{&op, res, 0});
    if (op.code == op_code::accept && res >= 0) {
        reset_reused_fd(res);
    }
}

/// Runs a multishot op until it would block, ends, or has produced multishot_per_event
/// completions, queueing a completion_more completion for each result. Returns the op's final
/// result, or would_block while it goes on.
int epoll_reactor::multishot_round(io_op& op) noexcept {
    for (int i = 0; i < multishot_per_event; ++i) {
        std::uint32_t flags = 0;
        int res =
                op.code == op_code::recv_multishot ? recv_into_pool(op, flags) : epoll::perform(op);
        if (res == epoll::would_block) {
            return res;
        }
        // A stream's end (0) and errors end the op; so does an accept error (io_uring's
        // multishot accept stops on one too).
        if (res < 0 || (res == 0 && op.code == op_code::recv_multishot)) {
            return res;
        }
        completed_.push_back(completion{&op, res, flags | completion_more});
        if (op.code == op_code::accept_multishot) {
            reset_reused_fd(res);
        }
    }
    return epoll::would_block;
}

/// recv into a free receive buffer: -ENOBUFS when none is free, -EOPNOTSUPP when the buffers
/// cannot be allocated.
int epoll_reactor::recv_into_pool(io_op& op, std::uint32_t& flags) noexcept {
    if (!buffers_.allocated()) {
        if (buffers_failed_ || !buffers_.allocate()) {
            buffers_failed_ = true;
            return -EOPNOTSUPP;
        }
        for (std::uint32_t id = buffers_.count(); id-- > 0;) {
            free_buffers_.push_back(static_cast<std::uint16_t>(id));
        }
    }
    if (free_buffers_.empty()) {
        return -ENOBUFS;
    }
    const std::uint16_t id = free_buffers_.back();
    op.buf = buffers_.data(id);
    op.len = buffers_.size();
    int res = epoll::perform(op);
    if (res <= 0) {
        return res; // the buffer stays free
    }
    free_buffers_.pop_back();
    flags = buffer_flags(id);
    return res;
}

/// An fd number the kernel just handed out was closed before, so any state we hold for it is
/// stale (its owner skipped forget_fd()). Lazily kept interest would otherwise make the first
/// op on the new socket skip epoll_ctl and wait for events that can never come.
void epoll_reactor::reset_reused_fd(int fd) noexcept {
    auto index = static_cast<std::size_t>(fd);
    if (index >= fds_.size()) {
        return;
    }
    fd_state& st = fds_[index];
    end_waiters(st, st.readers, -EBADF);
    end_waiters(st, st.writers, -EBADF);
    // No EPOLL_CTL_DEL: the close already removed the old registration, and the number now
    // names a file that was never registered.
    st = fd_state{};
}

/// Makes epoll watch exactly `events` for fd (0: remove it). Returns 0 or -errno.
int epoll_reactor::set_interest(int fd, fd_state& st, std::uint32_t events) noexcept {
    if (events == st.registered) {
        return 0;
    }
    if (events == 0) {
        // Not MOD to 0: epoll reports EPOLLERR and EPOLLHUP even then, and level-triggered
        // they would wake every poll() for an fd no one waits on.
        epoll_ctl_fd(epoll_fd_, EPOLL_CTL_DEL, fd, 0);
        st.registered = 0;
        return 0;
    }
    int op = st.registered == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    int err = epoll_ctl_fd(epoll_fd_, op, fd, events);
    // Our state can be stale when the owner closed fd without forget_fd() and the number was
    // reused: the close removed the old registration (ENOENT), or a dup kept it (EEXIST).
    if (err == -ENOENT && op == EPOLL_CTL_MOD) {
        err = epoll_ctl_fd(epoll_fd_, EPOLL_CTL_ADD, fd, events);
    } else if (err == -EEXIST && op == EPOLL_CTL_ADD) {
        err = epoll_ctl_fd(epoll_fd_, EPOLL_CTL_MOD, fd, events);
    }
    if (err == 0) {
        st.registered = events;
    }
    return err;
}

/// Interest is dropped only when an event arrives for a direction with no waiters: a
/// ping-pong connection then re-arms its recv with no epoll_ctl at all.
void epoll_reactor::drop_idle_interest(int fd,
                                       fd_state& st,
                                       bool read_ready,
                                       bool write_ready) noexcept {
    std::uint32_t keep = st.registered;
    if (read_ready && st.readers.empty()) {
        keep &= ~read_interest;
    }
    if (write_ready && st.writers.empty() && st.dual_polls == 0) {
        keep &= ~write_interest;
    }
    // A failed MOD leaves the old interest: at worst one more spurious event.
    set_interest(fd, st, keep);
}

/// Waits for events; returns how many are in events_ (0 on timeout).
int epoll_reactor::wait(std::optional<std::chrono::nanoseconds> timeout) noexcept {
    using clock = std::chrono::steady_clock;
    const bool timed_sleep = timeout && timeout->count() > 0;
    const auto deadline = timed_sleep ? clock::now() + *timeout : clock::time_point{};
    for (;;) {
        int n = wait_once(timeout);
        if (n != -EINTR) {
            return n < 0 ? 0 : n;
        }
        // EINTR comes from signal handlers and also from io_uring task work queued to this
        // thread (TIF_NOTIFY_SIGNAL, Linux 5.11+), even when no signal is involved; a wait cut
        // short that way would turn poll(timeout) into a spin, so wait for the rest.
        if (timed_sleep) {
            timeout = std::max(deadline - clock::now(), clock::duration::zero());
        }
    }
}

/// One epoll_pwait2 (or epoll_wait) call: the number of events or -errno.
int epoll_reactor::wait_once(std::optional<std::chrono::nanoseconds> timeout) noexcept {
    auto capacity = static_cast<int>(events_.size());
    if (has_pwait2_) {
        ::timespec ts{};
        if (timeout) {
            long long ns = std::max<long long>(timeout->count(), 0);
            ts.tv_sec = static_cast<std::time_t>(ns / 1'000'000'000);
            ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        }
        int n = ::epoll_pwait2(epoll_fd_, events_.data(), capacity, timeout ? &ts : nullptr,
                               nullptr);
        // epoll_pwait2 needs Linux 5.11; seccomp profiles that predate it (older Docker) answer
        // EPERM instead of ENOSYS.
        if (n >= 0 || (errno != ENOSYS && errno != EPERM)) {
            return n >= 0 ? n : -errno;
        }
        has_pwait2_ = false;
    }
    int n = ::epoll_wait(epoll_fd_, events_.data(), capacity, timeout_ms(timeout));
    return n >= 0 ? n : -errno;
}

void epoll_reactor::handle_event(const ::epoll_event& ev) noexcept {
    int fd = ev.data.fd;
    if (fd == wake_fd_) {
        drain_wake();
        return;
    }
    auto index = static_cast<std::size_t>(fd);
    if (index >= fds_.size() || fds_[index].registered == 0) {
        // A registration we no longer track (the fd was dup'ed, then closed without
        // forget_fd()); removing it is the best we can do.
        epoll_ctl_fd(epoll_fd_, EPOLL_CTL_DEL, fd, 0);
        return;
    }
    fd_state& st = fds_[index];
    std::uint32_t mask = epoll::to_poll_mask(ev.events);
    // An error or hang-up makes both directions try: their syscalls report it.
    bool read_ready = (mask & (POLLIN | POLLPRI | POLLRDHUP | POLLERR | POLLHUP)) != 0;
    bool write_ready = (mask & (POLLOUT | POLLERR | POLLHUP)) != 0;
    drop_idle_interest(fd, st, read_ready, write_ready);
    if (read_ready) {
        run_waiters(st, st.readers, mask, true);
    } else if ((mask & POLLOUT) != 0 && st.dual_polls != 0) {
        // Only the poll ops among the readers care about writability.
        run_waiters(st, st.readers, mask, false);
    }
    if (write_ready) {
        run_waiters(st, st.writers, mask, true);
    }
}

/// Retries the waiters of one direction in FIFO order. After the first I/O op that would
/// block, the later I/O ops would block too and stay queued; poll ops are still checked
/// against `mask`, which costs no syscall.
void epoll_reactor::run_waiters(fd_state& st,
                                epoll::waiter_list& list,
                                std::uint32_t mask,
                                bool io_too) noexcept {
    bool io_blocked = !io_too;
    for (io_op* op = list.front(); op != nullptr;) {
        io_op* next = op->next;
        int res = epoll::would_block;
        if (op->code == op_code::poll) {
            std::uint32_t ready = epoll::poll_result(*op, mask);
            res = ready != 0 ? static_cast<int>(ready) : epoll::would_block;
        } else if (!io_blocked) {
            res = is_multishot(*op) ? multishot_round(*op) : epoll::perform(*op);
            io_blocked = res == epoll::would_block;
        }
        if (res != epoll::would_block) {
            unlink(st, *op);
            complete_later(*op, res);
        }
        if (io_blocked && st.polls == 0) {
            break;
        }
        op = next;
    }
}

void epoll_reactor::end_waiters(fd_state& st, epoll::waiter_list& list, int res) noexcept {
    while (io_op* op = list.front()) {
        unlink(st, *op);
        complete_later(*op, res);
    }
}

/// Calls on_complete for every op completed so far. Callbacks may submit or cancel ops; what
/// they complete is delivered by the next poll().
void epoll_reactor::deliver() noexcept {
    std::swap(completed_, delivering_);
    for (const completion& c : delivering_) {
        if ((c.flags & completion_more) == 0) {
            c.op->backend_state = 0;
            --in_flight_;
        }
        c.op->on_complete(*c.op, c.res, c.flags);
    }
    delivering_.clear();
}

void epoll_reactor::drain_wake() noexcept {
    std::uint64_t count = 0;
    // EAGAIN means another poll() already drained it; the counter is reset either way.
    [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
}

std::unique_ptr<reactor> make_epoll_reactor() {
    return std::make_unique<epoll_reactor>();
}

} // namespace coreloop::detail
