// run_bench: starts every shard's part, opens the embedded server's listeners one shard after
// another on one port, starts the clients, measures, and stops everything.
#include "bench/run.hpp"

#include <exception>
#include <vector>

#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/shard.hpp>
#include <coreloop/sharded.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "bench/cpu_time.hpp"
#include "bench/progress.hpp"

namespace coreloop::bench {
namespace {

std::string host_port(const std::string& host, std::uint16_t port) {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

/// CPU seconds process `pid` spends between `from` and `to`; negative when unknown.
coro<double> process_cpu_between(int pid, clock::time_point from, clock::time_point to) {
    co_await sleep(from - clock::now());
    const double before = process_cpu_seconds(pid);
    co_await sleep(to - clock::now());
    const double after = process_cpu_seconds(pid);
    co_return before < 0 || after < 0 ? -1.0 : after - before;
}

/// The embedded server's listeners, shard 0 first (it picks the port the others share).
coro<std::uint16_t> listen_everywhere(sharded<bench_shard>& shards, unsigned server_shards) {
    std::uint16_t port = 0;
    for (unsigned s = 0; s < server_shards; ++s) {
        auto listen = [port](bench_shard& b) { return b.listen(port); };
        port = co_await shards.invoke_on(s, listen);
    }
    co_return port;
}

coro<std::vector<const live_counters*>> all_counters(sharded<bench_shard>& shards) {
    auto mapper = [](bench_shard& b) { return &b.live(); };
    auto reducer = [](std::vector<const live_counters*> acc, const live_counters* c) {
        acc.push_back(c);
        return acc;
    };
    std::vector<const live_counters*> initial;
    co_return co_await shards.map_reduce(mapper, std::move(initial), reducer);
}

coro<void> drive(sharded<bench_shard>& shards, run_report& report, std::FILE* progress) {
    const bench_options& o = report.plan.options;
    const std::string host = o.target_host.value_or("127.0.0.1");
    std::uint16_t port = o.target_port;
    if (!o.target_host) {
        port = co_await listen_everywhere(shards, report.plan.server_shards);
    }
    report.target = host_port(host, port);
    auto start_clients = [host, port](bench_shard& b) { b.start_clients(host, port); };
    co_await shards.invoke_on_all(start_clients);

    const clock::time_point from = clock::now() + o.warmup;
    const clock::time_point to = from + o.duration;
    std::optional<task<void>> shown;
    if (progress != nullptr) {
        std::vector<const live_counters*> counters = co_await all_counters(shards);
        shown = create_task(show_progress(std::move(counters), report.plan.start, from, progress));
    }
    std::optional<task<double>> server_cpu;
    if (o.server_pid > 0) {
        server_cpu = create_task(process_cpu_between(o.server_pid, from, to));
    }
    auto measure = [from, to](bench_shard& b) { return b.measure(from, to); };
    auto merge = [](shard_result acc, const shard_result& r) {
        acc.merge(r);
        return acc;
    };
    shard_result initial;
    report.total = co_await shards.map_reduce(measure, std::move(initial), merge);
    report.seconds = std::chrono::duration<double>(to - from).count();
    if (server_cpu) {
        report.external_server_cpu = co_await *server_cpu;
    }
    if (shown) {
        shown->cancel();
        try {
            co_await *shown;
        } catch (const cancelled_error&) {
        }
        end_progress(progress);
    }
}

} // namespace

coro<run_report> run_bench(const bench_options& options, std::FILE* progress) {
    run_report report;
    report.plan = run_plan::make(options, shard_count());
    report.plan.start = clock::now();
    report.backend = get_running_loop().backend_name();
    sharded<bench_shard> shards;
    co_await shards.start(report.plan);
    std::exception_ptr error;
    try {
        co_await drive(shards, report, progress);
    } catch (...) {
        error = std::current_exception();
    }
    co_await shards.stop();
    if (error) {
        std::rethrow_exception(error);
    }
    co_return report;
}

} // namespace coreloop::bench
