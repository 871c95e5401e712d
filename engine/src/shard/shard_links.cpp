// The cross-shard rings seen from one shard: batched publication, draining, and the sender's
// half of the wake protocol.
#include "shard_links.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <stdexcept>
#include <string>

#include <coreloop/detail/atomic.hpp>

namespace coreloop::detail {

ring_mesh::ring_mesh(unsigned shards, std::size_t capacity)
    : n_(shards)
    , rings_(static_cast<std::size_t>(shards) * shards) {
    for (shard_id from = 0; from < n_; ++from) {
        for (shard_id to = 0; to < n_; ++to) {
            if (from != to) {
                rings_[from * n_ + to] = std::make_unique<message_ring>(capacity);
            }
        }
    }
}

shard_links::shard_links(ring_mesh& mesh, shard_id self)
    : mesh_(mesh)
    , self_(self)
    , is_dirty_(mesh.shards(), false) {
    if (mesh.shards() == 1) {
        return; // no other shard: every message goes to this loop's own ready queue
    }
    out_.reserve(mesh.shards());
    for (shard_id to = 0; to < mesh.shards(); ++to) {
        // The diagonal has no ring: borrow any so the vector stays indexed by target; it is
        // never used, since messages to this shard go to its own ready queue.
        out_.emplace_back(mesh.between(self, to == self ? (self + 1) % mesh.shards() : to));
    }
}

void shard_links::send(shard_id to, shard_message& m) {
    out_[to].enqueue(&m);
    if (!is_dirty_[to]) {
        is_dirty_[to] = true;
        dirty_.push_back(to);
    }
    if (m.origin == self_) {
        ++away_;
    }
}

void shard_links::flush() noexcept {
    if (dirty_.empty()) {
        return;
    }
    std::array<shard_id, 64> published{};
    std::size_t n_published = 0;
    std::size_t kept = 0;
    for (shard_id to : dirty_) {
        spsc_sender<shard_message*>& sender = out_[to];
        if (sender.flush() > 0 && n_published < published.size()) {
            published[n_published++] = to;
        }
        if (sender.pending() > 0) {
            dirty_[kept++] = to; // the ring is full: retry next iteration
        } else {
            is_dirty_[to] = false;
        }
    }
    dirty_.resize(kept);
    // The sender's half of the wake protocol: the tail stores above, a full fence, then each
    // target's sleeping flag (the loop stores its flag, fences, then reads the tails).
    fence_seq_cst();
    for (std::size_t i = 0; i < n_published; ++i) {
        peers_[published[i]]->wake_if_sleeping();
    }
    if (n_published == published.size()) {
        // More targets than the array holds (over 64 shards): wake every sleeping peer.
        for (inbox* peer : peers_) {
            peer->wake_if_sleeping();
        }
    }
}

void shard_links::drain_into(ready_queue& ready) noexcept {
    std::array<shard_message*, 64> batch{};
    for (shard_id from = 0; from < mesh_.shards(); ++from) {
        if (from == self_) {
            continue;
        }
        message_ring& ring = mesh_.between(from, self_);
        // At most one ring's worth per iteration, so a sender that keeps publishing cannot
        // keep this loop draining forever.
        std::size_t budget = ring.capacity();
        std::size_t n = 0;
        while (budget > 0 &&
               (n = ring.pop_batch(std::span(batch.data(), std::min(budget, batch.size())))) > 0) {
            budget -= n;
            for (std::size_t i = 0; i < n; ++i) {
                if (batch[i]->origin == self_) {
                    --away_;
                }
                ready.push(*batch[i]);
            }
        }
    }
}

bool shard_links::has_incoming() noexcept {
    fence_seq_cst();
    for (shard_id from = 0; from < mesh_.shards(); ++from) {
        if (from != self_ && !mesh_.between(from, self_).empty()) {
            return true;
        }
    }
    return false;
}

void send_to_shard(shard_id to, shard_message& m) {
    loop_core& core = running_loop_core();
    if (to == tls_shard.id) {
        core.schedule(m);
        return;
    }
    if (core.links == nullptr || to >= tls_shard.count) {
        throw std::out_of_range("no shard " + std::to_string(to));
    }
    core.links->send(to, m);
}

} // namespace coreloop::detail
