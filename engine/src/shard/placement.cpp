// Planning shards over CPUs and pinning their threads with hwloc.
#include "placement.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include <hwloc.h>

#include <coreloop/log.hpp>

namespace coreloop::detail {

namespace {

std::atomic<bool> refuse_pinning{false};
std::atomic<bool> said_unpinned{false};

void say_unpinned_once(const std::string& why) {
    if (!said_unpinned.exchange(true)) {
        log(log_level::warning, "coreloop: shards run unpinned: " + why);
    }
}

// The CPUs this process may run on.
std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        throw std::system_error(errno, std::system_category(), "sched_getaffinity");
    }
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &set)) {
            cpus.push_back(c);
        }
    }
    return cpus;
}

// Parses a list such as "0-3,8" with hwloc and keeps its CPUs in increasing order.
std::vector<int> parse_cpu_list(const std::string& list) {
    hwloc_bitmap_t bitmap = hwloc_bitmap_alloc();
    if (bitmap == nullptr) {
        throw std::bad_alloc();
    }
    const bool ok = hwloc_bitmap_list_sscanf(bitmap, list.c_str()) == 0 &&
                    !hwloc_bitmap_iszero(bitmap) && hwloc_bitmap_weight(bitmap) > 0;
    std::vector<int> cpus;
    if (ok) {
        int c = -1;
        while ((c = hwloc_bitmap_next(bitmap, c)) != -1) {
            cpus.push_back(c);
        }
    }
    hwloc_bitmap_free(bitmap);
    if (!ok) {
        throw std::invalid_argument("engine: bad cpuset \"" + list +
                                    "\" (expected a list such as \"0-3,8\")");
    }
    return cpus;
}

} // namespace

struct placement::topology {
    hwloc_topology_t handle = nullptr;
    ~topology() {
        if (handle != nullptr) {
            hwloc_topology_destroy(handle);
        }
    }
};

placement::placement(const engine_options& options)
    : topo_(std::make_unique<topology>())
    , pin_(options.pin) {
    if (options.ring_capacity == 0 || (options.ring_capacity & (options.ring_capacity - 1)) != 0) {
        throw std::invalid_argument("engine: ring_capacity must be a power of two");
    }
    const std::vector<int> allowed = allowed_cpus();
    std::vector<int> usable = allowed;
    if (!options.cpuset.empty()) {
        usable = parse_cpu_list(options.cpuset);
        for (int c : usable) {
            if (std::find(allowed.begin(), allowed.end(), c) == allowed.end()) {
                throw std::invalid_argument("engine: CPU " + std::to_string(c) + " of cpuset \"" +
                                            options.cpuset + "\" is not available to this process");
            }
        }
    }
    const unsigned n = options.shards.value_or(static_cast<unsigned>(usable.size()));
    if (n == 0) {
        throw std::invalid_argument("engine: zero shards");
    }
    if (n > usable.size() && pin_) {
        say_unpinned_once(std::to_string(n) + " shards on " + std::to_string(usable.size()) +
                          " CPUs");
        pin_ = false;
    }
    if (pin_ &&
        (hwloc_topology_init(&topo_->handle) != 0 || hwloc_topology_load(topo_->handle) != 0)) {
        say_unpinned_once(std::string("hwloc topology: ") + std::strerror(errno));
        pin_ = false;
    }
    cpus_.resize(n, -1);
    pinned_ = std::make_unique<std::atomic<bool>[]>(n);
    for (unsigned s = 0; s < n; ++s) {
        cpus_[s] = usable[s % usable.size()];
        pinned_[s].store(pin_, std::memory_order_relaxed);
    }
}

placement::~placement() = default;

void placement::pin_current_thread(shard_id shard) noexcept {
    if (!pin_) {
        return;
    }
    const int cpu = cpus_[shard];
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (set == nullptr) {
        say_unpinned_once("out of memory");
        return;
    }
    hwloc_bitmap_only(set, static_cast<unsigned>(cpu));
    int rc = -1;
    if (refuse_pinning.load(std::memory_order_relaxed)) {
        errno = EPERM;
    } else {
        rc = hwloc_set_cpubind(topo_->handle, set, HWLOC_CPUBIND_THREAD);
    }
    hwloc_bitmap_free(set);
    if (rc != 0) {
        pinned_[shard].store(false, std::memory_order_relaxed);
        say_unpinned_once("pinning shard " + std::to_string(shard) + " to CPU " +
                          std::to_string(cpu) + " was refused: " + std::strerror(errno));
        return;
    }
    // Memory near the CPU: best effort (a single-node machine or a container may refuse, and
    // the shard works the same, only with memory from anywhere).
    if (hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(topo_->handle, static_cast<unsigned>(cpu));
        pu != nullptr && pu->nodeset != nullptr) {
        (void)hwloc_set_membind(topo_->handle, pu->nodeset, HWLOC_MEMBIND_BIND,
                                HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET);
    }
}

void simulate_pin_refusal(bool refuse) noexcept {
    refuse_pinning.store(refuse, std::memory_order_relaxed);
    if (refuse) {
        said_unpinned.store(false); // let the test see the message
    }
}

} // namespace coreloop::detail
