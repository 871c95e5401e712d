// The loop's multi-producer inbox: callbacks posted from any thread (call_soon_threadsafe),
// an intrusive lock-free Treiber stack that the loop takes whole and reverses on each drain.
#pragma once

#include <atomic>
#include <exception>
#include <utility>

#include <coreloop/detail/loop_core.hpp>
#include <coreloop/detail/ready_queue.hpp>

namespace coreloop::detail {

class reactor;

/// A callback posted from any thread: a ready-queue node that first links into the inbox.
/// Allocated with plain new, never from the per-thread frame pool: it is made on the posting
/// thread and freed on the loop's.
struct inbox_node : runnable {
    using runnable::runnable;
    inbox_node* next_posted = nullptr;
};

/// fn() posted to a loop; an exception it throws goes to the loop's exception handler.
/// Dropped unrun (only destroyed) when the loop closes first.
template <class F>
class posted_callback final : public inbox_node {
public:
    posted_callback(loop_core& loop, F fn)
        : inbox_node(&posted_callback::run_it, &posted_callback::drop)
        , loop_(loop)
        , fn_(std::move(fn)) {}

private:
    static void run_it(runnable& r) noexcept {
        auto* self = static_cast<posted_callback*>(&r);
        try {
            self->fn_();
        } catch (...) {
            report_callback_exception(self->loop_, std::current_exception());
        }
        delete self;
    }
    static void drop(runnable& r) noexcept { delete static_cast<posted_callback*>(&r); }

    loop_core& loop_;
    F fn_;
};

/// The multi-producer, single-consumer queue behind call_soon_threadsafe, and the loop's half
/// of the wake protocol.
///
/// Producers push onto a Treiber stack with one CAS (no ABA: the consumer never pops single
/// nodes, it takes the whole stack with one exchange); the loop reverses what it took, so
/// callbacks join the ready queue in the order their pushes took effect, and one producer's
/// callbacks keep that producer's order.
///
/// Wake protocol (no lost wake-up): before blocking, the loop stores `sleeping = true` and
/// then loads the stack head; a producer CASes its node in and then loads `sleeping`. All four
/// operations are seq_cst, so they are totally ordered: if the loop's load comes before the
/// producer's CAS, the loop's store came before it too, hence before the producer's load,
/// which then sees `true` and calls reactor::wake() (an eventfd write that ends the blocked
/// poll or the next one); otherwise the loop's load sees the node and it polls with timeout 0.
class inbox {
public:
    inbox() noexcept = default;
    inbox(const inbox&) = delete;
    inbox& operator=(const inbox&) = delete;

    /// The reactor woken for a sleeping loop (set once, before any push).
    void set_reactor(reactor* io) noexcept { io_ = io; }

    /// Any thread: publishes node and wakes the loop if it may be sleeping. Returns false,
    /// leaving node to the caller, once the inbox is closed.
    bool push(inbox_node& node) noexcept;

    /// Loop thread: whether a node waits (a seq_cst load: the second half of the loop's side
    /// of the wake protocol).
    bool has_posted() const noexcept {
        inbox_node* head = head_.load(std::memory_order_seq_cst);
        return head != nullptr && head != closed_mark();
    }

    /// Loop thread: moves every posted node, oldest first, to the back of `ready`.
    void drain_into(ready_queue& ready) noexcept;

    /// Another shard, after publishing into this loop's rings and a seq_cst fence: wakes the
    /// loop if it announced sleep. The exchange makes one waker per sleep pay the syscall;
    /// the loop, once woken, looks at every input anyway.
    void wake_if_sleeping() noexcept;

    /// Any thread: wakes the loop whether or not it announced sleep (a test watchdog's way
    /// to unstick a shard that missed a wake-up).
    void force_wake() noexcept;

    /// Loop thread, around a blocking poll (see the class comment).
    void set_sleeping() noexcept { sleeping_.store(true, std::memory_order_seq_cst); }
    void clear_sleeping() noexcept {
        // relaxed: nothing is published by this store; a producer that still reads `true`
        // only makes one spurious wake-up, which the reactor absorbs.
        sleeping_.store(false, std::memory_order_relaxed);
    }

    /// Loop thread: refuses every later push, waits until no push is half done (one that got
    /// in may still be calling reactor::wake()), and returns the posted nodes, oldest first.
    inbox_node* close() noexcept;

private:
    static inbox_node* closed_mark() noexcept {
        static inbox_node mark{nullptr};
        return &mark;
    }
    static inbox_node* reverse(inbox_node* list) noexcept;

    std::atomic<inbox_node*> head_{nullptr};
    std::atomic<bool> sleeping_{false};
    std::atomic<int> pushing_{0};
    reactor* io_ = nullptr;
};

} // namespace coreloop::detail
