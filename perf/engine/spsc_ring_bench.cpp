// The cross-shard ring between two threads on different CPUs: ping-pong round-trip latency
// (one item in flight each way) and batched one-way throughput, Capacity 1024.
#include <coreloop/detail/spsc_ring.hpp>

#include <sched.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <thread>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"

namespace {

using coreloop::detail::spsc_ring;
using item = std::uintptr_t;
using ring_type = spsc_ring<item>;
constexpr std::size_t ring_capacity = 1024;

// A CPU other than the one the benchmark thread is pinned to (bench_main pins it), or -1.
int other_cpu() {
    const int here = sched_getcpu();
    const unsigned n = std::thread::hardware_concurrency();
    for (unsigned c = 0; c < n; ++c) {
        if (static_cast<int>(c) != here) {
            return static_cast<int>(c);
        }
    }
    return -1;
}

// Pins the calling thread to `cpu`; false (and the thread stays where it was) if refused.
bool pin_to(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) {
        return false;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one) == 0;
}

// The echo thread returns every item it receives; the item value 0 stops it.
void echo(ring_type& in, ring_type& out, int cpu) {
    pin_to(cpu);
    item v = 0;
    for (;;) {
        while (!in.try_pop(v)) {
        }
        while (!out.try_push(v)) {
        }
        if (v == 0) {
            return;
        }
    }
}

// One round trip: push to the echo thread, spin until it comes back.
void BM_spsc_ring_ping_pong(benchmark::State& state) {
    ring_type ping(ring_capacity);
    ring_type pong(ring_capacity);
    const int cpu = other_cpu();
    std::thread peer([&ping, &pong, cpu] { echo(ping, pong, cpu); });
    item next = 1;
    item back = 0;
    for (auto _ : state) {
        while (!ping.try_push(next)) {
        }
        while (!pong.try_pop(back)) {
        }
        benchmark::DoNotOptimize(back);
        ++next;
    }
    while (!ping.try_push(0)) {
    }
    peer.join();
    state.counters["peer_cpu"] = cpu;
    coreloop::bench::set_items(state, 1);
}
BENCHMARK(BM_spsc_ring_ping_pong)->UseRealTime();

// A producer thread pushes `n` items in batches of range(0); the benchmark thread drains them
// in batches of the same size. Items per second is the one-way throughput.
void BM_spsc_ring_batched_throughput(benchmark::State& state) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    constexpr std::size_t n = 1 << 20;
    ring_type ring(ring_capacity);
    const int cpu = other_cpu();
    std::array<item, 256> buf{};
    for (auto _ : state) {
        std::thread producer([&ring, cpu, batch] {
            pin_to(cpu);
            std::array<item, 256> src{};
            for (std::size_t sent = 0; sent < n;) {
                const std::size_t want = std::min(batch, n - sent);
                for (std::size_t i = 0; i < want; ++i) {
                    src[i] = sent + i;
                }
                sent += ring.try_push_batch(std::span<const item>(src).first(want));
            }
        });
        std::size_t got = 0;
        while (got < n) {
            got += ring.pop_batch(std::span<item>(buf).first(batch));
        }
        benchmark::DoNotOptimize(buf);
        producer.join();
    }
    state.counters["peer_cpu"] = cpu;
    coreloop::bench::set_items(state, n);
}
BENCHMARK(BM_spsc_ring_batched_throughput)
        ->Arg(1)
        ->Arg(16)
        ->Arg(64)
        ->Arg(256)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);

} // namespace
