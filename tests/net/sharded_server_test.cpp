// sharded_server: a listener per shard on one port (SO_REUSEPORT); every shard accepts, and a
// connection is served only by the shard that accepted it. On both backends.
#include <coreloop/net/sharded_server.hpp>

#include <atomic>
#include <memory>
#include <set>
#include <string>

#include <coreloop/engine.hpp>
#include <coreloop/net/connection.hpp>
#include <coreloop/net/streams.hpp>
#include <coreloop/shard.hpp>

#include "net/net_test.hpp"
#include "support/engine_test.hpp"

namespace coreloop {
namespace {

using ShardedServer = test::engine_test;

/// Answers every message with the id of the shard it was accepted on, and counts messages
/// that arrive on another shard.
class shard_teller : public net::protocol {
public:
    explicit shard_teller(std::atomic<int>& misplaced)
        : misplaced_(misplaced) {}
    void connection_made(net::transport& t) override {
        transport_ = &t;
        home_ = this_shard_id();
    }
    void data_received(std::span<const std::byte>) override {
        if (this_shard_id() != home_) {
            ++misplaced_;
        }
        transport_->write(std::to_string(home_));
    }

private:
    std::atomic<int>& misplaced_;
    net::transport* transport_ = nullptr;
    shard_id home_ = 0;
};

TEST_P(ShardedServer, EveryShardAcceptsAndConnectionsStayOnTheirShard) {
    engine e(options(2));
    std::atomic<int> misplaced{0};
    e.run([&]() -> coro<void> {
        net::sharded_server srv;
        // The factory is copied to each shard: it holds nothing of one shard.
        net::protocol_factory factory = [&misplaced] {
            return std::make_shared<shard_teller>(misplaced);
        };
        const net::sharded_server_options opts;
        co_await srv.start(std::move(factory), "127.0.0.1", 0, opts);
        EXPECT_NE(srv.port(), 0);
        std::set<std::string> shards_seen;
        auto client_factory = [] { return std::make_shared<test::recorder>(); };
        // With 32 connections, the chance that the kernel's hash sends all to one shard is
        // 2^-31.
        for (int i = 0; i < 32; ++i) {
            auto [t, p] = co_await net::create_connection(client_factory, "127.0.0.1", srv.port());
            t->write("?");
            EXPECT_TRUE(co_await test::until([&] { return p->received.size() == 1; }));
            t->write("?");
            EXPECT_TRUE(co_await test::until([&] { return p->received.size() == 2; }));
            EXPECT_EQ(p->received[0], p->received[1]);
            shards_seen.insert(p->received.substr(0, 1));
            t->close();
        }
        EXPECT_EQ(shards_seen.size(), 2U);
        co_await srv.stop();
    });
    EXPECT_EQ(misplaced.load(), 0);
}

coro<void> tell_shard(std::shared_ptr<net::stream_reader> reader,
                      std::shared_ptr<net::stream_writer> writer) {
    for (;;) {
        // Not `while (!(co_await ...).empty())`: GCC 12 miscompiles a co_await in a while
        // condition (docs/coroutine-pitfalls.md, item 9).
        std::string line = co_await reader->readline();
        if (line.empty()) {
            break;
        }
        writer->write(std::to_string(this_shard_id()) + "\n");
        co_await writer->drain();
    }
}

TEST_P(ShardedServer, StreamsServerStopClosesOpenConnections) {
    engine e(options(2));
    e.run([&]() -> coro<void> {
        net::sharded_server srv;
        const net::sharded_server_options opts;
        co_await srv.start(tell_shard, "127.0.0.1", 0, opts, net::default_stream_limit);
        std::vector<net::stream_pair> clients;
        for (int i = 0; i < 8; ++i) {
            clients.push_back(co_await net::open_connection("127.0.0.1", srv.port()));
            auto& [reader, writer] = clients.back();
            writer->write("which?\n");
            const std::string answer = co_await reader->readline();
            EXPECT_TRUE(answer == "0\n" || answer == "1\n") << answer;
        }
        EXPECT_EQ(co_await srv.client_count(), 8U);
        // stop() closes the server side of every connection: each client reads EOF.
        co_await srv.stop();
        for (auto& [reader, writer] : clients) {
            EXPECT_EQ(co_await reader->read(), "");
            EXPECT_TRUE(reader->at_eof());
        }
    });
}

CORELOOP_ENGINE_BACKENDS(ShardedServer);

} // namespace
} // namespace coreloop
