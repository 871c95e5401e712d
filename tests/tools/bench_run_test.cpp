// run_bench end to end on a real engine of two shards, on both backends: the embedded server
// in each mode, and --target servers that misbehave (refuse, reset, stall, answer garbage),
// whose errors are counted by kind and never end the run.
#include "bench/run.hpp"

#include <memory>
#include <string>

#include <sys/socket.h>

#include <coreloop/engine.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/net/server.hpp>
#include <coreloop/net/transport.hpp>

#include "support/engine_test.hpp"

namespace coreloop {
namespace {

using bench::error_kind;
using BenchRun = test::engine_test;

bench::bench_options short_run(bench::mode m) {
    bench::bench_options o;
    o.mode = m;
    o.connections = 8;
    o.duration = std::chrono::milliseconds(200);
    o.warmup = std::chrono::milliseconds(50);
    o.paths = {"/plaintext"};
    return o;
}

std::uint64_t errors_of(const bench::run_report& r, error_kind k) {
    return r.total.errors[static_cast<std::size_t>(k)];
}

/// Runs `o` on a two-shard engine; with a `misbehaving` protocol, against a server of it on
/// shard 0 (--target), else against the embedded server.
template <class Protocol = void>
bench::run_report run(engine_options eo, bench::bench_options o) {
    engine e(eo);
    bench::run_report report;
    e.run([&]() -> coro<void> {
        std::optional<net::server> srv;
        if constexpr (!std::is_void_v<Protocol>) {
            net::protocol_factory factory = [] { return std::make_shared<Protocol>(); };
            srv = co_await net::create_server(std::move(factory), "127.0.0.1", 0);
            o.target_host = "127.0.0.1";
            o.target_port = srv->sockets().front().getsockname().port();
        }
        report = co_await bench::run_bench(o, nullptr);
        if (srv) {
            srv->close();
            srv->abort_clients();
            co_await srv->wait_closed();
        }
    });
    return report;
}

void expect_clean(const bench::run_report& r) {
    EXPECT_GT(r.total.requests, 0U);
    EXPECT_EQ(r.total.error_total(), 0U);
    EXPECT_EQ(r.total.latency.count(), r.total.requests);
    EXPECT_GT(r.total.latency.quantile_ns(0.5), 0U);
    EXPECT_GT(r.total.client_cpu, 0.0);
    EXPECT_NEAR(r.seconds, 0.2, 1e-6);
}

TEST_P(BenchRun, EchoPingPongAgainstTheEmbeddedServer) {
    const bench::run_report r = run(options(2), short_run(bench::mode::echo));
    expect_clean(r);
    EXPECT_EQ(r.plan.server_shards, 1U);
    EXPECT_EQ(r.plan.client_first, 1U);
    EXPECT_GT(r.total.server_cpu, 0.0);
    // Every byte sent in the window comes back, give or take the requests in flight at its
    // two ends.
    EXPECT_NEAR(static_cast<double>(r.total.bytes_received),
                static_cast<double>(r.total.bytes_sent), 2.0 * 8 * 64);
}

TEST_P(BenchRun, EchoPipelinedOnStreams) {
    bench::bench_options o = short_run(bench::mode::echo);
    o.pipeline = 8;
    o.size = 100;
    o.server_streams = true;
    expect_clean(run(options(2), o));
}

TEST_P(BenchRun, HttpPipelinedAgainstTheEmbeddedHttpd) {
    bench::bench_options o = short_run(bench::mode::http);
    o.pipeline = 4;
    o.paths = {"/plaintext", "/json"};
    const bench::run_report r = run(options(2), o);
    expect_clean(r);
    // Every response is at least its body and a head of ~100 bytes.
    EXPECT_GT(r.total.bytes_received, r.total.requests * 100);
}

TEST_P(BenchRun, OpenLoopKeepsToTheRate) {
    bench::bench_options o = short_run(bench::mode::echo);
    o.rate = 2000;
    o.duration = std::chrono::milliseconds(500);
    const bench::run_report r = run(options(2), o);
    EXPECT_EQ(r.total.error_total(), 0U);
    // 2000/s over 0.5 s. A stall at the window's start (a busy machine) lets the catch-up land
    // inside it: allow 5 %.
    EXPECT_NEAR(static_cast<double>(r.total.requests), 1000.0, 50.0);
}

TEST_P(BenchRun, ConnectChurn) {
    const bench::run_report r = run(options(2), short_run(bench::mode::connect));
    EXPECT_GT(r.total.requests, 0U);
    EXPECT_EQ(r.total.error_total(), 0U);
}

TEST_P(BenchRun, OneShardServesAndLoads) {
    const bench::run_report r = run(options(1), short_run(bench::mode::echo));
    expect_clean(r);
    EXPECT_EQ(r.plan.client_first, 0U);
}

TEST_P(BenchRun, ARefusedTargetCountsRefusalsAndEndsOnTime) {
    engine e(options(2));
    bench::bench_options o = short_run(bench::mode::echo);
    bench::run_report report;
    e.run([&]() -> coro<void> {
        // A port that was just free: nothing listens there.
        {
            net::protocol_factory factory = [] { return std::make_shared<net::protocol>(); };
            net::server srv = co_await net::create_server(std::move(factory), "127.0.0.1", 0);
            o.target_port = srv.sockets().front().getsockname().port();
            srv.close();
            co_await srv.wait_closed();
        }
        o.target_host = "127.0.0.1";
        report = co_await bench::run_bench(o, nullptr);
    });
    EXPECT_EQ(report.total.requests, 0U);
    EXPECT_GT(errors_of(report, error_kind::refused), 0U);
}

/// Resets each connection at its first request (SO_LINGER 0 makes the close an RST).
class resetter : public net::protocol {
public:
    void connection_made(net::transport& t) override { transport_ = &t; }
    void data_received(std::span<const std::byte>) override {
        const int fd = std::any_cast<int>(transport_->get_extra_info("socket"));
        const ::linger hard{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        transport_->abort();
    }

private:
    net::transport* transport_ = nullptr;
};

TEST_P(BenchRun, ResetsAreCountedAndConnectionsReplaced) {
    const bench::run_report r = run<resetter>(options(2), short_run(bench::mode::echo));
    EXPECT_EQ(r.total.requests, 0U);
    // More resets than connections: each slot reconnected after its reset.
    EXPECT_GT(errors_of(r, error_kind::reset), 8U);
}

/// Reads and never answers.
class silent : public net::protocol {};

TEST_P(BenchRun, AServerThatNeverAnswersGivesTimeouts) {
    bench::bench_options o = short_run(bench::mode::echo);
    o.timeout = std::chrono::milliseconds(20);
    const bench::run_report r = run<silent>(options(2), o);
    EXPECT_EQ(r.total.requests, 0U);
    EXPECT_GT(errors_of(r, error_kind::timeout), 8U);
}

/// Answers half an echo message, then closes.
class half_answer : public net::protocol {
public:
    void connection_made(net::transport& t) override { transport_ = &t; }
    void data_received(std::span<const std::byte> data) override {
        transport_->write(data.first(data.size() / 2));
        transport_->close();
    }

private:
    net::transport* transport_ = nullptr;
};

TEST_P(BenchRun, AHalfAnswerIsAShortResponse) {
    const bench::run_report r = run<half_answer>(options(2), short_run(bench::mode::echo));
    EXPECT_EQ(r.total.requests, 0U);
    EXPECT_GT(errors_of(r, error_kind::short_response), 8U);
}

/// Answers every HTTP request with a fixed text.
template <const char* Answer>
class fixed_answer : public net::protocol {
public:
    void connection_made(net::transport& t) override { transport_ = &t; }
    void data_received(std::span<const std::byte>) override { transport_->write(Answer); }

private:
    net::transport* transport_ = nullptr;
};

constexpr char garbage[] = "HTTP/1.1 2OO OK\r\n\r\n";
constexpr char server_error[] = "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n";

TEST_P(BenchRun, GarbageIsABadResponse) {
    const bench::run_report r =
            run<fixed_answer<garbage>>(options(2), short_run(bench::mode::http));
    EXPECT_EQ(r.total.requests, 0U);
    EXPECT_GT(errors_of(r, error_kind::bad_response), 8U);
}

TEST_P(BenchRun, ErrorStatusesAreCountedButAnswered) {
    const bench::run_report r =
            run<fixed_answer<server_error>>(options(2), short_run(bench::mode::http));
    EXPECT_GT(r.total.requests, 0U);
    EXPECT_EQ(errors_of(r, error_kind::http_status), r.total.requests);
}

CORELOOP_ENGINE_BACKENDS(BenchRun);

} // namespace
} // namespace coreloop
