// bench_shard: the roles, the connection slots and their reconnect loop, the timeout watch
// and the measured window.
#include "bench/bench_shard.hpp"

#include <algorithm>
#include <optional>

#include <coreloop/exceptions.hpp>
#include <coreloop/net/connection.hpp>
#include <coreloop/shard.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/wait_for.hpp>

#include "bench/cpu_time.hpp"

namespace coreloop::bench {
namespace {

// After an error, a slot waits this long before it reconnects, so a server that refuses or
// resets at once is not hammered in a busy loop.
constexpr std::chrono::milliseconds reconnect_pause{10};

} // namespace

run_plan run_plan::make(const bench_options& options, unsigned shards) {
    run_plan plan;
    plan.options = options;
    plan.shards = shards;
    if (!options.target_host) {
        plan.server_shards =
                std::min(options.server_shards.value_or(std::max(1U, shards / 2)), shards);
        plan.client_first = shards == 1 ? 0 : std::min(plan.server_shards, shards - 1);
    }
    return plan;
}

bench_shard::bench_shard(run_plan plan)
    : plan_(std::move(plan))
    , shard_(this_shard_id()) {}

bool bench_shard::is_client() const noexcept {
    return shard_ >= plan_.client_first;
}

bool bench_shard::is_server() const noexcept {
    return shard_ < plan_.server_shards;
}

std::pair<unsigned, unsigned> bench_shard::my_connections() const noexcept {
    const unsigned clients = plan_.client_shards();
    const unsigned index = shard_ - plan_.client_first;
    const unsigned total = plan_.options.connections;
    const unsigned share = total / clients + (index < total % clients ? 1 : 0);
    const unsigned first = index * (total / clients) + std::min(index, total % clients);
    return {share, first};
}

load_shape bench_shard::make_shape() const {
    const bench_options& o = plan_.options;
    load_shape shape;
    shape.mode = o.mode;
    shape.echo_size = o.size;
    shape.pipeline = o.mode == mode::connect ? 1 : o.pipeline;
    if (o.mode == mode::http) {
        const std::string host_header = host_.find(':') == std::string::npos
                                                ? host_ + ":" + std::to_string(port_)
                                                : "[" + host_ + "]:" + std::to_string(port_);
        for (const std::string& path : o.paths) {
            shape.requests.push_back("GET " + path + " HTTP/1.1\r\nHost: " + host_header +
                                     "\r\nUser-Agent: coreloop-bench\r\n\r\n");
        }
    } else {
        std::string message(o.size, 'x');
        for (std::size_t i = 0; i < message.size(); ++i) {
            message[i] = static_cast<char>('a' + i % 26);
        }
        shape.requests.push_back(std::move(message));
    }
    if (o.rate > 0) {
        // Each connection carries an equal share of the rate.
        const double seconds = static_cast<double>(o.connections) / o.rate;
        shape.interval =
                std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
        shape.interval = std::max(shape.interval, clock::duration(1));
    }
    return shape;
}

coro<std::uint16_t> bench_shard::listen(std::uint16_t port) {
    return server_.listen(plan_.options.mode, plan_.options.server_streams, port);
}

void bench_shard::start_clients(std::string host, std::uint16_t port) {
    if (!is_client()) {
        return;
    }
    host_ = std::move(host);
    port_ = port;
    context_->shape = make_shape();
    const auto [count, first] = my_connections();
    context_->slots.resize(count);
    connections_.resize(count);
    for (unsigned i = 0; i < count; ++i) {
        // Spread the connections' open-loop schedules evenly over one interval.
        const double phase = static_cast<double>(first + i) / plan_.options.connections;
        context_->slots[i].next_intended =
                plan_.start +
                std::chrono::duration_cast<clock::duration>(context_->shape.interval * phase);
        context_->slots[i].next_request = (first + i) % context_->shape.requests.size();
        tasks_.push_back(create_task(keep_connected(i)));
    }
    if (count > 0) {
        tasks_.push_back(create_task(watch_timeouts()));
    }
}

coro<void> bench_shard::keep_connected(std::size_t slot) {
    const bool paced_connects =
            context_->shape.mode == mode::connect && context_->shape.interval.count() > 0;
    while (!stopping_) {
        clock::time_point intended = clock::now();
        if (paced_connects) {
            connection_slot& s = context_->slots[slot];
            const clock::time_point now = intended;
            intended = s.next_intended;
            s.next_intended += context_->shape.interval;
            if (intended > now) {
                co_await sleep(intended - now);
            }
        }
        co_await connect_once(slot, intended);
    }
}

coro<void> bench_shard::connect_once(std::size_t slot, clock::time_point intended) {
    std::shared_ptr<client_context> context = context_;
    auto factory = [context, slot, intended] {
        return std::make_shared<load_connection>(context, slot, intended);
    };
    const std::optional<clock::duration> limit = plan_.options.timeout;
    std::optional<error_kind> connect_error;
    try {
        auto made = co_await wait_for(net::create_connection(factory, host_, port_), limit);
        connections_[slot] = std::move(made.second);
    } catch (const connection_refused_error&) {
        connect_error = error_kind::refused;
    } catch (const timeout_error&) {
        connect_error = error_kind::timeout;
    } catch (const std::exception&) {
        connect_error = error_kind::connect_failed;
    }
    bool pause = connect_error.has_value();
    if (connect_error) {
        context_->stats.error(*connect_error);
    } else {
        co_await connections_[slot]->wait_closed();
        pause = connections_[slot]->failed();
        connections_[slot].reset();
    }
    if (pause && !stopping_) {
        co_await sleep(reconnect_pause);
    }
}

coro<void> bench_shard::watch_timeouts() {
    const clock::duration limit = plan_.options.timeout;
    const clock::duration period =
            std::max<clock::duration>(limit / 4, std::chrono::milliseconds(1));
    for (;;) {
        co_await sleep(period);
        const clock::time_point now = clock::now();
        for (const auto& connection : connections_) {
            if (connection) {
                connection->check_timeout(now, limit);
            }
        }
    }
}

coro<shard_result> bench_shard::measure(clock::time_point from, clock::time_point to) {
    shard_stats& stats = context_->stats;
    co_await sleep(from - clock::now());
    stats.window = shard_result{};
    stats.measuring = true;
    const double cpu_before = thread_cpu_seconds();
    co_await sleep(to - clock::now());
    stats.measuring = false;
    shard_result result = stats.window;
    const double cpu = thread_cpu_seconds() - cpu_before;
    // A one-shard engine serves and loads on one thread: its CPU time counts as the client's.
    (is_client() ? result.client_cpu : result.server_cpu) = cpu;
    co_return result;
}

coro<void> bench_shard::stop() {
    stopping_ = true;
    for (const auto& connection : connections_) {
        if (connection) {
            connection->stop();
        }
    }
    for (task<void>& t : tasks_) {
        t.cancel();
    }
    for (task<void>& t : tasks_) {
        try {
            co_await t;
        } catch (const cancelled_error&) {
        }
    }
    tasks_.clear();
    co_await server_.stop();
}

} // namespace coreloop::bench
