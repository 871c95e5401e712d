// stream_writer (asyncio.StreamWriter) and stream_reader_protocol (asyncio.StreamReaderProtocol),
// the protocol that feeds a stream_reader and gives stream_writer its flow control.
#pragma once

#include <any>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <coreloop/coro.hpp>
#include <coreloop/future.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/net/stream_reader.hpp>
#include <coreloop/net/transport.hpp>
#include <coreloop/task.hpp>

namespace coreloop::net {

class stream_writer;

/// What start_server calls for each connection, as a task (asyncio's client_connected_cb).
using client_connected_callback =
        std::function<coro<void>(std::shared_ptr<stream_reader>, std::shared_ptr<stream_writer>)>;

/// The protocol between a transport and a stream_reader / stream_writer pair
/// (asyncio.StreamReaderProtocol): data and EOF go to the reader, connection errors to both,
/// and the transport's pause_writing/resume_writing become stream_writer::drain()'s wait.
/// Shard: the transport's loop.
class stream_reader_protocol : public protocol,
                               public std::enable_shared_from_this<stream_reader_protocol> {
public:
    /// `on_connected`, if set, runs as a task with the reader and a new writer once the
    /// connection is made; an exception it throws is reported and closes the connection.
    explicit stream_reader_protocol(std::shared_ptr<stream_reader> reader,
                                    client_connected_callback on_connected = {});
    ~stream_reader_protocol() override;

    void connection_made(transport& t) override;
    void data_received(std::span<const std::byte> data) override;
    bool eof_received() override;
    void connection_lost(std::exception_ptr exc) override;
    void pause_writing() override;
    void resume_writing() override;

    /// Returns at once unless the transport paused writing; then waits for resume_writing()
    /// or the connection's end. Errors: connection_reset_error once the connection is lost.
    coro<void> drain_helper();
    /// Waits for connection_lost(); throws its exception, if any.
    coro<void> wait_closed();
    bool connection_lost_called() const noexcept { return lost_; }

private:
    std::shared_ptr<stream_reader> reader_;
    client_connected_callback on_connected_;
    // One future per waiting call, so that cancelling one wait cancels nothing shared.
    std::vector<future<void>> drain_waiters_;
    std::vector<future<void>> close_waiters_;
    std::exception_ptr lost_with_;
    bool paused_ = false;
    bool lost_ = false;
};

/// The writing half of a stream connection (asyncio.StreamWriter). Writes never block; drain()
/// is where a writer waits for the peer to catch up. Destroying a writer whose transport is
/// still open closes it (asyncio 3.12's __del__).
/// Shard: the transport's loop.
class stream_writer {
public:
    stream_writer(std::shared_ptr<net::transport> t,
                  std::shared_ptr<stream_reader_protocol> p,
                  std::shared_ptr<stream_reader> reader);
    stream_writer(const stream_writer&) = delete;
    stream_writer& operator=(const stream_writer&) = delete;
    ~stream_writer();

    net::transport& transport() const noexcept { return *transport_; }
    /// Buffers data for sending (transport::write). Errors: std::runtime_error after
    /// write_eof().
    void write(std::span<const std::byte> data) { transport_->write(data); }
    void write(std::string_view data) { transport_->write(data); }
    void writelines(std::span<const std::span<const std::byte>> buffers) {
        transport_->writelines(buffers);
    }
    bool can_write_eof() const noexcept { return transport_->can_write_eof(); }
    void write_eof() { transport_->write_eof(); }
    /// Closes the transport once buffered data is sent.
    void close() noexcept { transport_->close(); }
    bool is_closing() const noexcept { return transport_->is_closing(); }
    /// Waits until the connection is closed. Errors: the connection's error, if it ended
    /// with one. Cancellation: only the wait ends.
    coro<void> wait_closed();
    std::any get_extra_info(std::string_view name) const {
        return transport_->get_extra_info(name);
    }
    /// Waits until the write buffer is at or below its low-water mark, if it went over the
    /// high-water mark (asyncio's drain()). Errors: the reader's exception if one was set;
    /// connection_reset_error ("Connection lost") once the connection is gone.
    /// Cancellation: nothing is lost; the data stays buffered.
    coro<void> drain();

private:
    std::shared_ptr<net::transport> transport_;
    std::shared_ptr<stream_reader_protocol> protocol_;
    std::shared_ptr<stream_reader> reader_;
};

} // namespace coreloop::net
