// The shard layer (DESIGN.md "shards and bridges"): submit_to round trips between two pinned
// shards, one call at a time (latency, with each side busy or asleep) and K calls in flight
// (batched throughput, budget row "submit_to ... >= 5 M/s per pair"); and independent
// CPU-bound work split over one shard or two (how the engine scales on this 2-core machine).
//
// Every benchmark makes its own engine (two shards; one for the 1-shard side of the CPU-work
// pair). bench_main pins the benchmark thread to one CPU, and an engine plans its shards over
// the CPUs the calling thread may use, so each engine here is made inside an all_cpus scope:
// the thread may use every online CPU while the engine is made and runs (shard 0, the
// benchmark thread, goes to the first CPU, shard 1 to the second), and bench_main's pin is
// restored afterwards. The timed loop runs on shard 0, inside the engine's main task.
//
// Counters: `origin_sleeps` and `target_sleeps` are voluntary context switches of shard 0's
// and shard 1's thread per call: how often each blocked in the kernel and so needed an
// eventfd wake (about 1 when that side is idle, 1/k in a batch of k, 0 when it is busy).
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"
#include <coreloop/engine.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/submit_to.hpp>
#include <coreloop/task.hpp>

namespace {

using coreloop::coro;
using coreloop::engine;
using coreloop::engine_options;
using coreloop::submission;
using coreloop::submit_to;

constexpr std::chrono::nanoseconds yield_now{0};

// Lets the calling thread run on every online CPU for a scope, then restores its affinity.
class all_cpus {
public:
    all_cpus() noexcept {
        CPU_ZERO(&saved_);
        saved_ok_ = sched_getaffinity(0, sizeof saved_, &saved_) == 0;
        cpu_set_t every;
        CPU_ZERO(&every);
        const unsigned n = std::max(1U, std::thread::hardware_concurrency());
        for (unsigned c = 0; c < n && c < CPU_SETSIZE; ++c) {
            CPU_SET(c, &every);
        }
        // The kernel keeps only the CPUs the process's cpuset allows.
        (void)sched_setaffinity(0, sizeof every, &every);
    }
    all_cpus(const all_cpus&) = delete;
    all_cpus& operator=(const all_cpus&) = delete;
    ~all_cpus() {
        if (saved_ok_) {
            (void)sched_setaffinity(0, sizeof saved_, &saved_);
        }
    }

private:
    cpu_set_t saved_;
    bool saved_ok_ = false;
};

engine_options shard_options(unsigned shards) {
    return engine_options{.shards = shards, .handle_signals = false};
}

// Records the CPU of each shard of `e` as a counter (-1: unpinned).
void record_placement(benchmark::State& state, engine& e) {
    for (unsigned s = 0; s < e.shard_count(); ++s) {
        state.counters["cpu_of_shard" + std::to_string(s)] = e.cpu_of(s);
    }
}

// Voluntary context switches of the calling thread so far (each one is a sleep in the kernel).
std::int64_t voluntary_switches() noexcept {
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_nvcsw;
}

// Keeps its shard's loop turning (one task step per iteration) until *stop is set.
coro<void> spin_until(const std::atomic<bool>* stop) {
    while (!stop->load(std::memory_order_relaxed)) {
        co_await coreloop::sleep(yield_now);
    }
}

// Context switches of (shard 0, shard 1) so far.
struct switch_counts {
    std::int64_t origin = 0;
    std::int64_t target = 0;
};

coro<switch_counts> count_switches() {
    switch_counts c;
    c.origin = voluntary_switches();
    c.target = co_await submit_to(1, [] { return voluntary_switches(); });
    co_return c;
}

void record_switches(benchmark::State& state,
                     const switch_counts& before,
                     const switch_counts& after,
                     std::int64_t per) {
    const auto trips = static_cast<double>(std::max<std::int64_t>(1, state.iterations() * per));
    state.counters["origin_sleeps"] = static_cast<double>(after.origin - before.origin) / trips;
    state.counters["target_sleeps"] = static_cast<double>(after.target - before.target) / trips;
}

// Keeps shard 0's loop (origin) and/or shard 1's (target) turning, never blocking, until stop().
class spinners {
public:
    spinners(bool origin, bool target) {
        if (target) {
            target_.emplace(submit_to(1, [this] { return spin_until(&stop_); }));
        }
        if (origin) {
            origin_.emplace(coreloop::create_task(spin_until(&stop_)));
        }
    }
    spinners(const spinners&) = delete;
    spinners& operator=(const spinners&) = delete;

    coro<void> stop() {
        stop_.store(true, std::memory_order_relaxed);
        if (target_) {
            co_await *target_;
        }
        if (origin_) {
            co_await *origin_;
        }
    }

private:
    std::atomic<bool> stop_{false};
    std::optional<submission<void>> target_;
    std::optional<coreloop::task<void>> origin_;
};

// --- 1. round-trip latency ------------------------------------------------------------------

// One submit_to(1, fn) awaited at a time; fn is a plain function (a callback on shard 1).
// The spinners, when asked for, keep shard 0's or shard 1's loop busy so that it never blocks.
coro<void> round_trips(benchmark::State& state, bool origin_busy, bool target_busy) {
    spinners busy(origin_busy, target_busy);
    std::int64_t value = co_await submit_to(1, [] { return std::int64_t{0}; }); // warm-up
    const switch_counts before = co_await count_switches();
    for (auto _ : state) {
        value = co_await submit_to(1, [value] { return value + 1; });
    }
    const switch_counts after = co_await count_switches();
    co_await busy.stop();
    if (value != state.iterations()) {
        state.SkipWithError("a round trip lost its value");
    }
    record_switches(state, before, after, 1);
    coreloop::bench::set_items(state, 1);
}

void BM_submit_to_round_trip(benchmark::State& state) {
    const bool origin_busy = state.range(0) != 0;
    const bool target_busy = state.range(1) != 0;
    all_cpus scope;
    engine e(shard_options(2));
    e.run([&state, origin_busy, target_busy] {
        return round_trips(state, origin_busy, target_busy);
    });
    record_placement(state, e);
}
BENCHMARK(BM_submit_to_round_trip)
        ->ArgNames({"origin_busy", "target_busy"})
        ->ArgsProduct({{0, 1}, {0, 1}})
        ->UseRealTime();

// Both shards idle, but polling for up to 200 us before they block (engine_options::idle_poll):
// the round trip no longer pays two wake-ups, as long as calls come more often than that.
void BM_submit_to_round_trip_idle_poll(benchmark::State& state) {
    all_cpus scope;
    engine_options options = shard_options(2);
    options.idle_poll = std::chrono::microseconds(200);
    engine e(options);
    e.run([&state] { return round_trips(state, false, false); });
    record_placement(state, e);
}
BENCHMARK(BM_submit_to_round_trip_idle_poll)->UseRealTime();

// Baseline for the rows where a side sleeps: two threads pinned as the shards are (the first two
// CPUs) pass a token back and forth through two eventfds, each blocking in read(). One item is
// one round trip, two wake-ups of a thread blocked in the kernel: the floor of
// origin_busy:0/target_busy:0 on this machine (a VM, where waking an idle vCPU is expensive).
std::vector<int> first_two_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c) {
            if (CPU_ISSET(c, &set)) {
                cpus.push_back(c);
            }
        }
    }
    return cpus;
}

bool pin_to(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one) == 0;
}

void BM_eventfd_ping_pong_baseline(benchmark::State& state) {
    all_cpus scope;
    const std::vector<int> cpus = first_two_cpus();
    if (cpus.size() < 2 || !pin_to(cpus[0])) {
        state.SkipWithError("needs two CPUs");
        return;
    }
    const int ping = eventfd(0, EFD_CLOEXEC);
    const int pong = eventfd(0, EFD_CLOEXEC);
    std::atomic<bool> stop{false};
    std::thread peer([ping, pong, &stop, cpu = cpus[1]] {
        pin_to(cpu);
        std::uint64_t v = 0;
        while (::read(ping, &v, sizeof v) == sizeof v && !stop.load(std::memory_order_relaxed)) {
            v = 1;
            (void)::write(pong, &v, sizeof v);
        }
    });
    std::uint64_t v = 1;
    for (auto _ : state) {
        v = 1;
        (void)::write(ping, &v, sizeof v);
        (void)::read(pong, &v, sizeof v);
    }
    stop.store(true, std::memory_order_relaxed);
    v = 1;
    (void)::write(ping, &v, sizeof v);
    peer.join();
    ::close(ping);
    ::close(pong);
    coreloop::bench::set_items(state, 1);
}
BENCHMARK(BM_eventfd_ping_pong_baseline)->UseRealTime();

// --- 2. batched throughput ------------------------------------------------------------------

// Each timed iteration sends k submissions to shard 1, then awaits them in order: they travel
// in one published batch each way. One item is one round trip.
coro<void> batched_round_trips(benchmark::State& state, std::size_t k, bool busy) {
    spinners spinning(busy, busy);
    std::vector<submission<std::int64_t>> in_flight;
    in_flight.reserve(k);
    std::int64_t sum = 0;
    const switch_counts before = co_await count_switches();
    for (auto _ : state) {
        for (std::size_t i = 0; i < k; ++i) {
            in_flight.push_back(submit_to(1, [i] { return static_cast<std::int64_t>(i); }));
        }
        for (auto& s : in_flight) {
            sum += co_await s;
        }
        in_flight.clear();
    }
    const switch_counts after = co_await count_switches();
    co_await spinning.stop();
    const auto n = static_cast<std::int64_t>(k);
    if (sum != state.iterations() * (n * (n - 1) / 2)) {
        state.SkipWithError("a batched call lost its value");
    }
    record_switches(state, before, after, n);
    coreloop::bench::set_items(state, n);
}

void BM_submit_to_batched(benchmark::State& state) {
    const auto k = static_cast<std::size_t>(state.range(0));
    const bool busy = state.range(1) != 0;
    all_cpus scope;
    engine e(shard_options(2));
    e.run([&state, k, busy] { return batched_round_trips(state, k, busy); });
    record_placement(state, e);
}
BENCHMARK(BM_submit_to_batched)
        ->ArgNames({"k", "busy"})
        ->ArgsProduct({{1, 16, 64, 256}, {0, 1}})
        ->UseRealTime();

// --- 3. CPU-bound work on 1 vs 2 shards -----------------------------------------------------

// The fixed total: work_chunks chunks of chunk_rounds rounds of a 64-bit mixer (a dependent
// multiply-xorshift chain, so nothing is vectorised away). About 50 ms on one core here.
constexpr std::uint64_t work_chunks = 256;
constexpr std::uint64_t chunk_rounds = 1 << 16;

std::uint64_t mix_rounds(std::uint64_t x, std::uint64_t rounds) noexcept {
    for (std::uint64_t i = 0; i < rounds; ++i) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 29;
        x += i;
    }
    return x;
}

// A shard's share of the work, between the times it started and ended (steady clock).
struct share_result {
    std::uint64_t hash = 0;
    std::chrono::steady_clock::time_point start;
    std::chrono::steady_clock::time_point end;
};

// This shard's share: chunk c belongs to shard c % shard_count(). The loop turns between
// chunks (as a server's long computation would yield).
coro<share_result> crunch_share() {
    share_result r;
    r.start = std::chrono::steady_clock::now();
    const unsigned shards = coreloop::shard_count();
    for (std::uint64_t c = coreloop::this_shard_id(); c < work_chunks; c += shards) {
        r.hash += mix_rounds(c, chunk_rounds);
        co_await coreloop::sleep(yield_now);
    }
    r.end = std::chrono::steady_clock::now();
    co_return r;
}

// Runs the whole work on an engine of `shards` shards (run_on_all); gives the seconds from the
// first shard's start to the last shard's end (the engine's start and stop are not counted).
double run_work(unsigned shards, std::uint64_t& hash) {
    all_cpus scope;
    engine e(shard_options(shards));
    std::vector<share_result> results = e.run_on_all([] { return crunch_share(); });
    auto first = results.front().start;
    auto last = results.front().end;
    for (const share_result& r : results) {
        first = std::min(first, r.start);
        last = std::max(last, r.end);
        hash += r.hash;
    }
    return std::chrono::duration<double>(last - first).count();
}

// Time: the work on range(0) shards. Items: chunks per second.
void BM_shard_cpu_work(benchmark::State& state) {
    const auto shards = static_cast<unsigned>(state.range(0));
    if (shards > std::max(1U, std::thread::hardware_concurrency())) {
        state.SkipWithError("fewer CPUs than shards");
        return;
    }
    std::uint64_t hash = 0;
    for (auto _ : state) {
        state.SetIterationTime(run_work(shards, hash));
    }
    benchmark::DoNotOptimize(hash);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(work_chunks));
}
BENCHMARK(BM_shard_cpu_work)
        ->ArgName("shards")
        ->Arg(1)
        ->Arg(2)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);

// The same work on 1 shard and on 2, alternately within each iteration (so that the noise of a
// shared machine falls on both alike). Time: the 2-shard runs. `scaling` is the summed 1-shard
// time over the summed 2-shard time (2.0 is perfect on two cores).
void BM_shard_cpu_scaling(benchmark::State& state) {
    if (std::thread::hardware_concurrency() < 2) {
        state.SkipWithError("needs two CPUs");
        return;
    }
    std::uint64_t hash = 0;
    double one = 0;
    double two = 0;
    for (auto _ : state) {
        one += run_work(1, hash);
        const double t = run_work(2, hash);
        two += t;
        state.SetIterationTime(t);
    }
    benchmark::DoNotOptimize(hash);
    const auto n = static_cast<double>(std::max<benchmark::IterationCount>(1, state.iterations()));
    state.counters["one_shard_ms"] = one / n * 1e3;
    state.counters["two_shards_ms"] = two / n * 1e3;
    state.counters["scaling"] = two > 0 ? one / two : 0;
}
BENCHMARK(BM_shard_cpu_scaling)->UseManualTime()->Unit(benchmark::kMillisecond);

} // namespace
