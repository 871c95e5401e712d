// Plain io_uring helpers shared by the reference echo server and the echo load client: ring
// setup with per-flag fallback, a provided-buffer ring, CPU pinning, option parsing, clocks.
// Deliberately free of coreloop code: these tools are the yardstick coreloop is measured against.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <liburing.h>
#include <sched.h>
#include <sys/mman.h>

namespace echo_ref {

/// Monotonic clock in nanoseconds.
inline std::uint64_t now_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

/// Prints a message with the errno text of `err` (a positive errno) and exits with status 1.
[[noreturn]] inline void die(const char* what, int err) {
    std::fprintf(stderr, "%s: %s\n", what, std::strerror(err));
    std::exit(1);
}

/// Pins the calling thread to `cpu`; a negative `cpu` leaves the affinity alone.
inline void pin_to_cpu(int cpu) {
    if (cpu < 0) {
        return;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        die("sched_setaffinity", errno);
    }
}

/// Returns the value after option `argv[*i]`, advancing `*i`; exits if it is missing.
inline const char* option_value(int argc, char** argv, int* i) {
    if (*i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[*i]);
        std::exit(2);
    }
    return argv[++*i];
}

/// An io_uring set up with SINGLE_ISSUER|DEFER_TASKRUN, dropping one flag at a time on EINVAL
/// (an older kernel); reports the accepted flags on stderr as `<who>: ring flags=...`.
class uring {
public:
    uring(unsigned entries, unsigned cq_entries, const char* who) {
        // Each step drops one flag: DEFER_TASKRUN needs 6.1, SINGLE_ISSUER 6.0, COOP_TASKRUN
        // 5.19. Without DEFER_TASKRUN, COOP_TASKRUN still avoids task-work interrupts.
        const unsigned steps[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
                                  IORING_SETUP_SINGLE_ISSUER, 0};
        int rc = -EINVAL;
        for (const unsigned flags : steps) {
            io_uring_params params{};
            params.flags = flags | IORING_SETUP_CQSIZE;
            params.cq_entries = cq_entries;
            rc = io_uring_queue_init_params(entries, &ring_, &params);
            if (rc == 0) {
                std::fprintf(stderr, "%s: ring flags=%s%s%s\n", who,
                             (flags & IORING_SETUP_SINGLE_ISSUER) != 0 ? "SINGLE_ISSUER " : "",
                             (flags & IORING_SETUP_DEFER_TASKRUN) != 0 ? "DEFER_TASKRUN " : "",
                             (flags & IORING_SETUP_COOP_TASKRUN) != 0 ? "COOP_TASKRUN " : "");
                // A registered ring fd saves an fdget/fdput per io_uring_enter; optional.
                (void)io_uring_register_ring_fd(&ring_);
                return;
            }
            if (rc != -EINVAL) {
                break;
            }
            std::fprintf(stderr, "%s: kernel refused ring flags 0x%x\n", who, flags);
        }
        die("io_uring_queue_init_params", -rc);
    }
    uring(const uring&) = delete;
    uring& operator=(const uring&) = delete;
    ~uring() { exit(); }

    io_uring* get() noexcept { return &ring_; }
    /// Tears the ring down (cancelling what is in flight); later calls do nothing.
    void exit() noexcept {
        if (open_) {
            io_uring_queue_exit(&ring_);
            open_ = false;
        }
    }

private:
    io_uring ring_{};
    bool open_ = true;
};

/// A provided-buffer ring (group `group`) of `count` buffers of `size` bytes each. liburing 2.3
/// has no io_uring_setup_buf_ring, so the ring and buffer memory come from mmap (page-aligned).
/// Destroy it after the ring's exit(): the kernel may write into buffers until then.
class buffer_ring {
public:
    buffer_ring(io_uring* ring, unsigned count, unsigned size, unsigned short group)
        : count_(count)
        , size_(size) {
        if (count == 0 || count > 32768 || (count & (count - 1)) != 0) {
            std::fprintf(stderr, "buffer count must be a power of two in [1, 32768]\n");
            std::exit(2);
        }
        ring_bytes_ = count * sizeof(io_uring_buf);
        void* mem = mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         -1, 0);
        data_bytes_ = std::size_t{count} * size;
        void* data = mmap(nullptr, data_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                          -1, 0);
        if (mem == MAP_FAILED || data == MAP_FAILED) {
            die("mmap", errno);
        }
        br_ = static_cast<io_uring_buf_ring*>(mem);
        data_ = static_cast<char*>(data);
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem);
        reg.ring_entries = count;
        reg.bgid = group;
        if (const int rc = io_uring_register_buf_ring(ring, &reg, 0); rc != 0) {
            die("io_uring_register_buf_ring", -rc);
        }
        io_uring_buf_ring_init(br_);
        for (unsigned id = 0; id < count; ++id) {
            give_back(static_cast<unsigned short>(id));
        }
        publish();
    }
    buffer_ring(const buffer_ring&) = delete;
    buffer_ring& operator=(const buffer_ring&) = delete;
    ~buffer_ring() {
        munmap(br_, ring_bytes_);
        munmap(data_, data_bytes_);
    }

    /// The memory of buffer `id`.
    char* data(unsigned short id) const noexcept { return data_ + std::size_t{id} * size_; }
    unsigned size() const noexcept { return size_; }
    /// Buffers the kernel may pick now or after the next publish().
    unsigned available() const noexcept { return available_; }

    /// Records that a CQE handed buffer `id` to us.
    void taken() noexcept { --available_; }
    /// Queues buffer `id` for the kernel; it becomes visible at the next publish().
    void give_back(unsigned short id) noexcept {
        io_uring_buf_ring_add(br_, data(id), size_, id, io_uring_buf_ring_mask(count_), pending_);
        ++pending_;
        ++available_;
    }
    /// Makes every queued buffer visible to the kernel with one release store.
    void publish() noexcept {
        if (pending_ != 0) {
            io_uring_buf_ring_advance(br_, pending_);
            pending_ = 0;
        }
    }

private:
    io_uring_buf_ring* br_ = nullptr;
    char* data_ = nullptr;
    std::size_t ring_bytes_ = 0;
    std::size_t data_bytes_ = 0;
    unsigned count_;
    unsigned size_;
    unsigned available_ = 0;
    int pending_ = 0;
};

/// The buffer id of a CQE that carries IORING_CQE_F_BUFFER.
inline unsigned short cqe_buffer_id(const io_uring_cqe* cqe) noexcept {
    return static_cast<unsigned short>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
}

/// Returns an SQE, submitting the queued ones first if the SQ is full.
inline io_uring_sqe* get_sqe(io_uring* ring) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    while (sqe == nullptr) {
        if (const int rc = io_uring_submit(ring); rc < 0 && rc != -EBUSY && rc != -EAGAIN) {
            die("io_uring_submit", -rc);
        }
        sqe = io_uring_get_sqe(ring);
    }
    return sqe;
}

} // namespace echo_ref
