// stream_reader_protocol and stream_writer: asyncio's StreamReaderProtocol (with its
// FlowControlMixin) and StreamWriter.
#include <coreloop/net/stream_writer.hpp>

#include "wake_all.hpp"

#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/sleep.hpp>

namespace coreloop::net {

stream_reader_protocol::stream_reader_protocol(std::shared_ptr<stream_reader> reader,
                                               client_connected_callback on_connected)
    : reader_(std::move(reader))
    , on_connected_(std::move(on_connected)) {}

stream_reader_protocol::~stream_reader_protocol() = default;

void stream_reader_protocol::connection_made(transport& t) {
    reader_->set_transport(&t);
    if (!on_connected_) {
        return;
    }
    auto shared_transport = std::dynamic_pointer_cast<transport>(t.shared_from_this());
    auto writer = std::make_shared<stream_writer>(shared_transport, shared_from_this(), reader_);
    task<void> client = create_task(on_connected_(reader_, std::move(writer)));
    // asyncio 3.12: an exception from the callback is reported and closes the connection.
    std::weak_ptr<transport> weak = shared_transport;
    client.add_done_callback([weak](future<void>& done) {
        if (done.cancelled() || !done.exception()) {
            return;
        }
        exception_context context;
        context.message = "Unhandled exception in client_connected_cb";
        context.exception = done.exception();
        done.get_loop().call_exception_handler(context);
        if (auto conn = weak.lock()) {
            conn->close();
        }
    });
    // The loop owns the task until it ends; keeping it here too would make a cycle (the task
    // holds the writer, which holds this protocol).
}

void stream_reader_protocol::data_received(std::span<const std::byte> data) {
    reader_->feed_data(data);
}

bool stream_reader_protocol::eof_received() {
    reader_->feed_eof();
    return true; // keep the transport open: the writer may still send
}

void stream_reader_protocol::connection_lost(std::exception_ptr exc) {
    lost_ = true;
    if (exc) {
        reader_->set_exception(exc);
    } else {
        reader_->feed_eof();
    }
    reader_->set_transport(nullptr);
    lost_with_ = exc;
    detail::wake_all(close_waiters_, exc);
    detail::wake_all(drain_waiters_, exc);
}

void stream_reader_protocol::pause_writing() {
    paused_ = true;
}

void stream_reader_protocol::resume_writing() {
    paused_ = false;
    detail::wake_all(drain_waiters_, nullptr);
}

coro<void> stream_reader_protocol::drain_helper() {
    if (lost_) {
        throw connection_reset_error(ECONNRESET, "Connection lost");
    }
    if (!paused_) {
        co_return;
    }
    future<void> waiter = get_running_loop().create_future<void>();
    drain_waiters_.push_back(waiter);
    co_await waiter;
}

coro<void> stream_reader_protocol::wait_closed() {
    if (lost_) {
        if (lost_with_) {
            std::rethrow_exception(lost_with_);
        }
        co_return;
    }
    future<void> closed = get_running_loop().create_future<void>();
    close_waiters_.push_back(closed);
    co_await closed;
}

stream_writer::stream_writer(std::shared_ptr<net::transport> t,
                             std::shared_ptr<stream_reader_protocol> p,
                             std::shared_ptr<stream_reader> reader)
    : transport_(std::move(t))
    , protocol_(std::move(p))
    , reader_(std::move(reader)) {}

stream_writer::~stream_writer() {
    if (transport_ && !transport_->is_closing()) {
        transport_->close();
    }
}

coro<void> stream_writer::wait_closed() {
    return protocol_->wait_closed();
}

coro<void> stream_writer::drain() {
    if (reader_) {
        if (std::exception_ptr e = reader_->exception()) {
            std::rethrow_exception(e);
        }
    }
    if (transport_->is_closing()) {
        // Let connection_lost() run first, so that the wait below sees the lost connection
        // (asyncio does the same with sleep(0)).
        co_await sleep(std::chrono::seconds(0));
    }
    co_await protocol_->drain_helper();
}

} // namespace coreloop::net
