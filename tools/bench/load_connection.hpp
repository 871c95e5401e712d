// One client connection of a load run: sends requests (echo messages or HTTP GETs) up to the
// pipeline depth, closed loop or paced to intended send times, and times each response from
// the moment its request was meant to leave.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <coreloop/coro.hpp>
#include <coreloop/handle.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/net/transport.hpp>
#include <coreloop/sync/event.hpp>

#include "bench/options.hpp"
#include "bench/response_parser.hpp"
#include "bench/stats.hpp"

namespace coreloop::bench {

using clock = std::chrono::steady_clock;

/// What every connection of a client shard does.
struct load_shape {
    enum mode mode = mode::echo;
    /// The bytes of each request: one echo message, or one HTTP request per --path (sent in
    /// turn).
    std::vector<std::string> requests;
    std::size_t echo_size = 64;
    unsigned pipeline = 1;
    /// Open loop: time between two intended sends on one connection; zero: closed loop.
    clock::duration interval{};
};

/// What outlives one connection of a slot: the open-loop schedule and the next path.
struct connection_slot {
    clock::time_point next_intended{};
    std::size_t next_request = 0;
};

/// What a client shard's connections share. Connections hold it by shared_ptr: one whose
/// connection_lost() comes late (after a cancelled connect, say) finds it still there.
struct client_context {
    load_shape shape;
    shard_stats stats;
    std::vector<connection_slot> slots;
};

/// The protocol of one load connection. Requests go out from connection_made() on; in the
/// connect mode exactly one does, and the connection closes once it is answered.
class load_connection final : public net::protocol {
public:
    /// `first_intended`: the connect mode's intended time for its one request (the moment
    /// the connect began or was meant to).
    load_connection(std::shared_ptr<client_context> context,
                    std::size_t slot,
                    clock::time_point first_intended);

    void connection_made(net::transport& t) override;
    void data_received(std::span<const std::byte> data) override;
    bool eof_received() override;
    void connection_lost(std::exception_ptr exc) override;

    /// Returns once connection_lost() has run.
    coro<void> wait_closed();
    /// Counts a timeout and aborts when the oldest unanswered request has waited longer
    /// than `limit`.
    void check_timeout(clock::time_point now, clock::duration limit) noexcept;
    /// Aborts without counting an error (the run is over).
    void stop() noexcept;
    /// An error was counted on this connection (the slot waits before reconnecting).
    bool failed() const noexcept { return failed_; }

private:
    void pump(clock::time_point now);
    void send(clock::time_point intended, clock::time_point now);
    void on_responses(const response_parser::outcome& out, clock::time_point now);
    /// Closes once the last response is in: a plain close, or a reset in the connect mode.
    void finish() noexcept;
    void arm_timer(clock::time_point when);
    void fail(error_kind kind) noexcept;

    std::shared_ptr<client_context> context_;
    const load_shape& shape_;
    shard_stats& stats_;
    connection_slot& slot_;
    response_parser parser_;
    net::transport* transport_ = nullptr;
    // The intended send times of the requests in flight, oldest at head_.
    std::vector<clock::time_point> stamps_;
    std::size_t head_ = 0;
    std::size_t in_flight_ = 0;
    // Since when the oldest request in flight has waited for a byte of progress.
    clock::time_point waiting_since_{};
    clock::time_point first_intended_;
    timer_handle timer_;
    bool timer_armed_ = false;
    bool sending_done_ = false; // one-shot sent, close requested, or stopping
    bool failed_ = false;
    sync::event closed_;
};

} // namespace coreloop::bench
