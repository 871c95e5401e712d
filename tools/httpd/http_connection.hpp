// The protocol of one coreloop-httpd connection: requests parsed in place as they arrive,
// answered in order (the answers of one read leave in one write), files sent with sendfile,
// reading paused while a file goes out or the peer is slow to read, and the idle timeout.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <coreloop/coro.hpp>
#include <coreloop/event_loop.hpp>
#include <coreloop/handle.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/net/transport.hpp>
#include <coreloop/task.hpp>

#include "httpd/http_server.hpp"
#include "httpd/request_parser.hpp"
#include "httpd/static_files.hpp"

namespace coreloop::httpd {

class http_connection final : public net::protocol,
                              public std::enable_shared_from_this<http_connection> {
public:
    explicit http_connection(std::shared_ptr<const server_config> config);

    void connection_made(net::transport& t) override;
    void data_received(std::span<const std::byte> data) override;
    bool eof_received() override;
    void connection_lost(std::exception_ptr exc) override;
    void pause_writing() override;
    void resume_writing() override;

private:
    using clock = event_loop::clock;

    /// Answers the complete requests at the start of `input` until one stops the answering
    /// (a file to send, the peer not reading, a close); returns the bytes used.
    std::size_t answer(std::string_view input);
    /// Appends the response to one request; false when it stopped the answering.
    bool respond(const request& req);
    bool respond_file(const request& req, bool head_only);
    /// Ends the connection after the buffered responses.
    void finish();
    /// Hands the buffered responses to the transport.
    void flush();
    /// Answers what waited in pending_, then reads again if nothing stops it.
    void resume_answering();
    coro<void> send_file(std::weak_ptr<http_connection> weak, static_file file);
    void arm_idle_timer(clock::time_point when);
    void on_idle_timer();
    bool answering_stopped() const noexcept { return closing_ || write_paused_ || sending_file_; }

    std::shared_ptr<const server_config> config_;
    net::transport* transport_ = nullptr;
    event_loop* loop_ = nullptr;
    // Received bytes not answered yet: a partial request, or requests held back while a file
    // goes out or the peer does not read.
    std::string pending_;
    clock::time_point last_activity_{};
    clock::time_point pending_since_{};
    std::optional<clock::time_point> lingering_since_; // the writing side ended: see finish()
    timer_handle idle_timer_;
    std::optional<task<void>> file_task_;
    bool write_paused_ = false;
    bool sending_file_ = false;
    bool closing_ = false;   // the last response closes the connection
    bool peer_done_ = false; // the peer half-closed: close once everything is answered
};

} // namespace coreloop::httpd
