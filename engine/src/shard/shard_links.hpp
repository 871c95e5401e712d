// One shard's ends of the cross-shard rings: a sender per target with its batch and overflow,
// a receiver per source, and the wake-up of sleeping targets (DESIGN.md "Cross-shard queues"
// and "Waking a sleeping shard").
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <coreloop/detail/inbox.hpp>
#include <coreloop/detail/overflow_queue.hpp>
#include <coreloop/detail/ready_queue.hpp>
#include <coreloop/detail/remote_call.hpp>
#include <coreloop/detail/spsc_ring.hpp>

namespace coreloop::detail {

using message_ring = spsc_ring<shard_message*>;

/// The rings of an engine: one per ordered pair of shards.
class ring_mesh {
public:
    ring_mesh(unsigned shards, std::size_t capacity);
    message_ring& between(shard_id from, shard_id to) noexcept { return *rings_[from * n_ + to]; }
    unsigned shards() const noexcept { return n_; }

private:
    unsigned n_;
    std::vector<std::unique_ptr<message_ring>> rings_; // [from * n + to]; null on the diagonal
};

/// Shard `self`'s view of the mesh. Used on that shard's loop thread only; the loop calls
/// flush() before it polls, has_incoming() after announcing sleep, and drain_into() with its
/// other inputs.
class shard_links {
public:
    shard_links(ring_mesh& mesh, shard_id self);

    /// The inbox of each shard's loop, whose sleeping flag and reactor wake it (set once every
    /// loop exists, before any message is sent).
    void set_peers(std::vector<inbox*> peers) noexcept { peers_ = std::move(peers); }

    /// Queues m for `to` (another shard); published by the next flush().
    /// Errors: std::bad_alloc.
    void send(shard_id to, shard_message& m);
    /// Publishes what was queued this iteration, one batch per target, then wakes the targets
    /// that sleep. What a full ring cannot take stays queued (has_backlog()).
    void flush() noexcept;
    /// Moves every arrived message, per source in arrival order, to the back of `ready`.
    void drain_into(ready_queue& ready) noexcept;
    /// The loop's check after it announced sleep (a seq_cst fence, then every ring): whether a
    /// message arrived, so it must not block.
    bool has_incoming() noexcept;
    /// Whether messages wait for room in a full ring (then the loop must not sleep long).
    bool has_backlog() const noexcept { return !dirty_.empty(); }
    /// Messages this shard made that are away (sent and not back yet).
    std::size_t away() const noexcept { return away_; }

private:
    ring_mesh& mesh_;
    shard_id self_;
    std::vector<spsc_sender<shard_message*>> out_; // [to]
    std::vector<shard_id> dirty_;                  // targets with queued messages
    std::vector<bool> is_dirty_;                   // [to]
    std::vector<inbox*> peers_;                    // [shard]
    std::size_t away_ = 0;
};

} // namespace coreloop::detail
