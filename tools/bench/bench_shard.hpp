// One shard's part of a run (the service of a sharded<bench_shard>): an embedded server
// listener, a share of the client connections, or both on a one-shard engine; and the
// measured window, over which it reports its figures and its thread's CPU time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <coreloop/coro.hpp>
#include <coreloop/task.hpp>

#include "bench/embedded_server.hpp"
#include "bench/load_connection.hpp"
#include "bench/options.hpp"
#include "bench/stats.hpp"

namespace coreloop::bench {

/// Who does what, the same on every shard.
struct run_plan {
    bench_options options;
    unsigned shards = 1;
    /// Shards [0, server_shards) serve (embedded server only); shards [client_first, shards)
    /// load. They overlap only on a one-shard engine.
    unsigned server_shards = 0;
    unsigned client_first = 0;
    /// When the run began: the open-loop schedules start here.
    clock::time_point start{};

    unsigned client_shards() const noexcept { return shards - client_first; }
    static run_plan make(const bench_options& options, unsigned shards);
};

class bench_shard {
public:
    explicit bench_shard(run_plan plan);

    /// Server shards: see embedded_server::listen.
    coro<std::uint16_t> listen(std::uint16_t port);
    /// Client shards: opens this shard's connections to host:port and keeps them open
    /// (reconnecting after errors) until stop(). No-op on the other shards.
    void start_clients(std::string host, std::uint16_t port);
    /// Waits for `from`, measures until `to`, and returns this shard's figures.
    coro<shard_result> measure(clock::time_point from, clock::time_point to);
    const live_counters& live() const noexcept { return context_->stats.live; }
    coro<void> stop();

private:
    bool is_client() const noexcept;
    bool is_server() const noexcept;
    /// This shard's share of the connections and the first of them in the run's numbering.
    std::pair<unsigned, unsigned> my_connections() const noexcept;
    load_shape make_shape() const;
    coro<void> keep_connected(std::size_t slot);
    coro<void> connect_once(std::size_t slot, clock::time_point intended);
    coro<void> watch_timeouts();

    run_plan plan_;
    unsigned shard_;
    std::shared_ptr<client_context> context_ = std::make_shared<client_context>();
    // The open connection of each slot (null while connecting or waiting to reconnect).
    std::vector<std::shared_ptr<load_connection>> connections_;
    embedded_server server_;
    std::string host_;
    std::uint16_t port_ = 0;
    std::vector<task<void>> tasks_;
    bool stopping_ = false;
};

} // namespace coreloop::bench
