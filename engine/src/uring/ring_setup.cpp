// Ring setup with flag fallback, the opcode probe and the setup-failure test hook.
#include "ring_setup.hpp"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>

#include "reactor.hpp"

// liburing 2.3's headers predate some flags; these are the kernel's values
// (include/uapi/linux/io_uring.h).
#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#endif
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

namespace coreloop::detail {
namespace {

// Relaxed: the hook is a plain value set by a test before it creates a reactor; no other
// memory is published through it.
std::atomic<int> simulated_failure{0};

} // namespace

void simulate_uring_setup_failure(int err) noexcept {
    simulated_failure.store(err < 0 ? -err : err, std::memory_order_relaxed);
}

namespace uring {
namespace {

// Best first. DEFER_TASKRUN (kernel 6.1) runs completion work only when the shard enters the
// kernel to wait, so completions never interrupt it; it requires SINGLE_ISSUER (6.0).
// COOP_TASKRUN (5.19) at least avoids the IPI per completion.
// SUBMIT_ALL (5.18) keeps a batch going past an SQE that fails to prepare; every kernel that
// knows COOP_TASKRUN knows it too. TASKRUN_FLAG (5.19, with COOP or DEFER_TASKRUN; liburing's
// header comment saying "not valid with COOP_TASKRUN" is a typo for "without") raises
// IORING_SQ_TASKRUN when completion work waits, so a poll that must not block can skip the
// syscall when there is none.
constexpr unsigned taskrun_flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_TASKRUN_FLAG;
constexpr unsigned flag_candidates[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | taskrun_flags,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | taskrun_flags,
        IORING_SETUP_COOP_TASKRUN | taskrun_flags,
        0,
};

struct opcode_name {
    int opcode;
    const char* name;
};

// Cancellation uses ASYNC_CANCEL for every op kind, poll included, so POLL_REMOVE is not
// needed.
constexpr opcode_name required_opcodes[] = {
        {IORING_OP_POLL_ADD, "opcode POLL_ADD"}, {IORING_OP_ASYNC_CANCEL, "opcode ASYNC_CANCEL"},
        {IORING_OP_RECV, "opcode RECV"},         {IORING_OP_SEND, "opcode SEND"},
        {IORING_OP_SENDMSG, "opcode SENDMSG"},   {IORING_OP_ACCEPT, "opcode ACCEPT"},
        {IORING_OP_CONNECT, "opcode CONNECT"},   {IORING_OP_READ, "opcode READ"},
        {IORING_OP_WRITE, "opcode WRITE"},       {IORING_OP_RECVMSG, "opcode RECVMSG"},
};

struct probe_deleter {
    void operator()(io_uring_probe* probe) const noexcept { io_uring_free_probe(probe); }
};

} // namespace

int setup_ring(io_uring& ring, unsigned& accepted_flags) noexcept {
    int res = -EINVAL;
    for (unsigned flags : flag_candidates) {
        io_uring_params params{};
        params.flags = flags | IORING_SETUP_CQSIZE;
        params.cq_entries = completion_entries;
        res = io_uring_queue_init_params(ring_entries, &ring, &params);
        if (res == 0) {
            accepted_flags = flags;
            return 0;
        }
        if (res != -EINVAL) {
            return res;
        }
    }
    return res;
}

int probe_opcodes(io_uring& ring, const char*& missing) noexcept {
    std::unique_ptr<io_uring_probe, probe_deleter> probe(io_uring_get_probe_ring(&ring));
    if (!probe) {
        // IORING_REGISTER_PROBE came in 5.6 with RECV, SEND, READ and WRITE, so a kernel that
        // cannot probe lacks those opcodes too.
        missing = "IORING_REGISTER_PROBE";
        return -ENOSYS;
    }
    for (const auto& op : required_opcodes) {
        if (io_uring_opcode_supported(probe.get(), op.opcode) == 0) {
            missing = op.name;
            return -ENOSYS;
        }
    }
    return 0;
}

int simulated_setup_failure() noexcept {
    return simulated_failure.load(std::memory_order_relaxed);
}

} // namespace uring
} // namespace coreloop::detail
