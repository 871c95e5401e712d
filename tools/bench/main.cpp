// coreloop-bench: a load generator on the engine. See docs/bench.md, or --help.
#include <cstdio>
#include <string>
#include <vector>

#include <sys/resource.h>

#include <coreloop/engine.hpp>
#include <coreloop/exceptions.hpp>

#include "bench/options.hpp"
#include "bench/report.hpp"
#include "bench/run.hpp"

namespace {

using namespace coreloop;

/// Many connections (twice as many descriptors with the embedded server) need more than the
/// usual soft limit of 1024: raise it to the hard limit, as load tools do.
void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

} // namespace

int main(int argc, char** argv) {
    bench::bench_options options;
    try {
        options = bench::parse_options(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const bench::usage_error& e) {
        std::fprintf(stderr, "coreloop-bench: %s\n", e.what());
        return 2;
    }
    if (options.help) {
        std::fputs(bench::usage_text().c_str(), stdout);
        return 0;
    }
    raise_descriptor_limit();
    engine_options engine_opts;
    engine_opts.shards = options.shards;
    engine_opts.cpuset = options.cpuset;
    try {
        engine e(engine_opts);
        bench::run_report report;
        e.run([&]() -> coro<void> { report = co_await bench::run_bench(options, stderr); });
        const std::string text =
                options.json ? bench::format_json(report) : bench::format_table(report);
        std::fputs(text.c_str(), stdout);
    } catch (const keyboard_interrupt&) {
        std::fprintf(stderr, "\ncoreloop-bench: interrupted\n");
        return 130;
    } catch (const system_exit&) {
        std::fprintf(stderr, "\ncoreloop-bench: terminated\n");
        return 143;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "coreloop-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
