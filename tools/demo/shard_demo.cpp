// The sharded half of coreloop-demo: one loop per CPU, and every shard calling every other
// through the cross-shard rings for a fixed time.
#include "shard_demo.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <coreloop/engine.hpp>
#include <coreloop/submit_to.hpp>

namespace coreloop::demo {

namespace {

using clock_type = std::chrono::steady_clock;

// Calls in flight per shard: enough to fill a batch on every iteration.
constexpr int in_flight = 64;

// Sends batches of calls round-robin to the other shards until `until`; returns how many
// round trips completed.
coro<std::uint64_t> call_others(clock_type::time_point until) {
    std::uint64_t done = 0;
    const shard_id me = this_shard_id();
    const unsigned n = shard_count();
    std::vector<submission<std::uint64_t>> calls;
    calls.reserve(in_flight);
    while (clock_type::now() < until) {
        for (int i = 0; i < in_flight; ++i) {
            const shard_id target = (me + 1 + static_cast<unsigned>(i) % (n - 1)) % n;
            calls.push_back(submit_to(target, [i] { return static_cast<std::uint64_t>(i); }));
        }
        for (auto& call : calls) {
            co_await call;
            ++done;
        }
        calls.clear();
    }
    co_return done;
}

} // namespace

int run_shard_demo(backend io_backend, std::chrono::milliseconds duration) {
    engine e(engine_options{.io_backend = io_backend});
    const unsigned n = e.shard_count();
    std::printf("\nengine: %u shard(s)", n);
    for (shard_id s = 0; s < n; ++s) {
        std::printf("%s shard %u on CPU %d", s == 0 ? ":" : ",", s, e.cpu_of(s));
    }
    std::printf("\n");
    if (n < 2) {
        std::printf("  one shard only: no cross-shard calls to show\n");
        return 0;
    }
    const auto start = clock_type::now();
    const auto until = start + duration;
    std::vector<std::uint64_t> per_shard = e.run_on_all([until] { return call_others(until); });
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    std::uint64_t total = 0;
    for (shard_id s = 0; s < n; ++s) {
        std::printf("  shard %u: %10llu submit_to round trips (%.2f M/s)\n", s,
                    static_cast<unsigned long long>(per_shard[s]),
                    static_cast<double>(per_shard[s]) / seconds / 1e6);
        total += per_shard[s];
    }
    std::printf("summary: shards=%u cross_shard_round_trips=%llu rate=%.2f M/s in %.0f ms\n", n,
                static_cast<unsigned long long>(total), static_cast<double>(total) / seconds / 1e6,
                seconds * 1000);
    return 0;
}

} // namespace coreloop::demo
