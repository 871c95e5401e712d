// Where each shard runs: the CPU list from the options or sched_getaffinity, and pinning a
// shard's thread (and its memory) there with hwloc.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include <coreloop/engine.hpp>

namespace coreloop::detail {

class placement {
public:
    /// Plans `options.shards` shards (default: one per usable CPU) over the usable CPUs.
    /// Errors: std::invalid_argument for an unparsable cpuset, CPUs this process may not use,
    /// zero shards, or a ring capacity that is not a power of two.
    explicit placement(const engine_options& options);
    placement(const placement&) = delete;
    placement& operator=(const placement&) = delete;
    ~placement();

    unsigned shards() const noexcept { return static_cast<unsigned>(cpus_.size()); }
    /// The CPU shard `shard` is (or will be) pinned to, or -1 if it runs unpinned.
    int cpu_of(shard_id shard) const noexcept {
        return pinned_[shard].load(std::memory_order_relaxed) ? cpus_[shard] : -1;
    }

    /// Pins the calling thread (shard `shard`'s) to its CPU and binds its memory to that
    /// CPU's NUMA node. If the system refuses, the shard runs unpinned (cpu_of() says -1) and
    /// the engine logs it once per process. Call from the shard's own thread.
    void pin_current_thread(shard_id shard) noexcept;

private:
    struct topology;
    std::unique_ptr<topology> topo_;
    std::vector<int> cpus_; // [shard]: the CPU planned for it
    // [shard]: planned to be pinned, and not refused (each shard's thread may clear its own).
    std::unique_ptr<std::atomic<bool>[]> pinned_;
    bool pin_ = true;
};

/// Test hook: make the next pinning attempts fail as if the system refused (false restores).
void simulate_pin_refusal(bool refuse) noexcept;

} // namespace coreloop::detail
