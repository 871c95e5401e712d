// What a shard measures: the latency histogram, counts and errors of the measured window, and
// live counters that the progress line reads from another shard.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "bench/histogram.hpp"

namespace coreloop::bench {

/// Why a request or connection failed. Errors are counted, never fatal.
enum class error_kind : std::uint8_t {
    refused,        // connect: ECONNREFUSED
    connect_failed, // connect: any other error (unreachable, EMFILE, ...)
    reset,          // the connection broke (ECONNRESET, EPIPE, ...)
    timeout,        // no response within --timeout (or no connection)
    short_response, // the peer closed in the middle of a response, or with requests unanswered
    bad_response,   // a response that does not parse (or more echo bytes than were sent)
    http_status,    // an HTTP response with a status of 400 or more (still a request)
};
inline constexpr std::size_t error_kind_count = 7;

const char* to_string(error_kind kind) noexcept;

/// Counters one shard writes and any thread may read (single writer: plain load + store).
struct live_counters {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> errors{0};

    static void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
};

/// One shard's (or, merged, the whole run's) figures over the measured window.
struct shard_result {
    histogram latency;
    std::uint64_t requests = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    std::array<std::uint64_t, error_kind_count> errors{};
    /// CPU seconds of client shards and of embedded server shards over the window.
    double client_cpu = 0;
    double server_cpu = 0;

    std::uint64_t error_total() const noexcept {
        std::uint64_t n = 0;
        for (std::uint64_t e : errors) {
            n += e;
        }
        return n;
    }
    void merge(const shard_result& other) noexcept {
        latency.merge(other.latency);
        requests += other.requests;
        bytes_sent += other.bytes_sent;
        bytes_received += other.bytes_received;
        for (std::size_t i = 0; i < errors.size(); ++i) {
            errors[i] += other.errors[i];
        }
        client_cpu += other.client_cpu;
        server_cpu += other.server_cpu;
    }
};

/// What a client shard's connections report to: always the live counters, and while the
/// measured window is open, its result.
class shard_stats {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// A response arrived at `now` for a request meant to leave at `intended`.
    void completed(time_point intended, time_point now) noexcept {
        live_counters::bump(live.requests);
        if (measuring) {
            ++window.requests;
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - intended);
            window.latency.record(ns.count() < 0 ? 0 : static_cast<std::uint64_t>(ns.count()));
        }
    }
    void error(error_kind kind) noexcept {
        live_counters::bump(live.errors);
        if (measuring) {
            ++window.errors[static_cast<std::size_t>(kind)];
        }
    }
    void sent(std::size_t n) noexcept {
        if (measuring) {
            window.bytes_sent += n;
        }
    }
    void received(std::size_t n) noexcept {
        if (measuring) {
            window.bytes_received += n;
        }
    }

    live_counters live;
    shard_result window;
    bool measuring = false;
};

} // namespace coreloop::bench
