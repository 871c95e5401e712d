// main() of every coreloop_<module>_bench: pins the benchmark thread to one CPU (STYLE §7) before
// running, and records the CPU and the loop backend in the output's context.
#include <sched.h>

#include <cstdlib>
#include <string>

#include <benchmark/benchmark.h>

#include <coreloop/event_loop.hpp>

namespace {

// Pins the calling thread to CORELOOP_BENCH_CPU, or else to the highest CPU it may run on
// (CPU 0 takes most interrupts). Returns the CPU, or -1 if pinning failed.
int pin_this_thread() {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        return -1;
    }
    int cpu = -1;
    if (const char* wanted = std::getenv("CORELOOP_BENCH_CPU"); wanted != nullptr) {
        cpu = std::atoi(wanted);
    } else {
        for (int c = CPU_SETSIZE - 1; c >= 0; --c) {
            if (CPU_ISSET(c, &allowed)) {
                cpu = c;
                break;
            }
        }
    }
    if (cpu < 0 || cpu >= CPU_SETSIZE) {
        return -1;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one) == 0 ? cpu : -1;
}

} // namespace

int main(int argc, char** argv) {
    const int cpu = pin_this_thread();
    benchmark::AddCustomContext("pinned_cpu", cpu >= 0 ? std::to_string(cpu) : "not pinned");
    {
        coreloop::event_loop probe;
        benchmark::AddCustomContext("coreloop_backend", std::string(probe.backend_name()));
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
