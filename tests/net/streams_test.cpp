// Streams over real sockets, on both backends: echo, a line longer than the limit, EOF in the
// middle of readexactly, half-close both ways, a reader that never reads (drain blocks and
// memory stays bounded), resets, and cancelling every stream await.
#include <coreloop/net/streams.hpp>

#include <memory>
#include <string>

#include <sys/socket.h>

#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/task.hpp>

#include "net/net_test.hpp"
#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using net::stream_reader;
using net::stream_writer;
using reader_ptr = std::shared_ptr<stream_reader>;
using writer_ptr = std::shared_ptr<stream_writer>;

class Streams : public test::loop_test {
protected:
    /// A server whose connections run `handler`; the port is in port_.
    coro<net::server> serve(net::client_connected_callback handler, std::size_t limit) {
        net::server_options opts;
        net::server srv = co_await net::start_server(std::move(handler), "127.0.0.1", 0,
                                                     std::move(opts), limit);
        port_ = srv.sockets()[0].getsockname().port();
        co_return srv;
    }
    coro<net::stream_pair> connect() {
        co_return co_await net::open_connection("127.0.0.1", port_);
    }

    std::uint16_t port_ = 0;
};

coro<void> echo_lines(reader_ptr reader, writer_ptr writer) {
    for (;;) {
        std::string line = co_await reader->readline();
        if (line.empty()) {
            break;
        }
        writer->write(line);
        co_await writer->drain();
    }
    writer->close();
}

TEST_P(Streams, EchoLinesThenEof) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve(echo_lines, net::default_stream_limit);
        auto [reader, writer] = co_await connect();
        writer->write("first\nsecond\n");
        co_await writer->drain();
        EXPECT_EQ(co_await reader->readline(), "first\n");
        EXPECT_EQ(co_await reader->readline(), "second\n");
        writer->write_eof();
        EXPECT_EQ(co_await reader->read(), ""); // the server closed after our EOF
        EXPECT_TRUE(reader->at_eof());
        writer->close();
        co_await writer->wait_closed();
        EXPECT_TRUE(writer->is_closing());
        srv.close();
        co_await srv.wait_closed();
    }());
}

coro<void> complain_about_long_lines(reader_ptr reader, writer_ptr writer) {
    std::string answer;
    try {
        co_await reader->readline();
        answer = "no error\n";
    } catch (const std::invalid_argument&) {
        answer = "line too long\n";
    }
    writer->write(answer);
    writer->write(co_await reader->readline()); // the next line is still readable
    co_await writer->drain();
    writer->close();
}

TEST_P(Streams, ALineLongerThanTheLimitIsAnErrorForThatLineOnly) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve(complain_about_long_lines, 16);
        auto [reader, writer] = co_await connect();
        writer->write(std::string(100, 'x') + "\nshort\n");
        EXPECT_EQ(co_await reader->readline(), "line too long\n");
        EXPECT_EQ(co_await reader->readline(), "short\n");
        writer->close();
        srv.close();
        co_await srv.wait_closed();
    }());
}

coro<void> expect_ten(reader_ptr reader, writer_ptr writer) {
    std::string answer;
    try {
        co_await reader->readexactly(10);
        answer = "got ten";
    } catch (const incomplete_read_error& e) {
        answer = "partial " + e.partial;
    }
    writer->write(answer);
    writer->close();
}

TEST_P(Streams, EofInTheMiddleOfReadexactly) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve(expect_ten, net::default_stream_limit);
        auto [reader, writer] = co_await connect();
        writer->write("12345");
        writer->write_eof(); // half-close: the server still answers
        EXPECT_EQ(co_await reader->read(), "partial 12345");
        writer->close();
        srv.close();
        co_await srv.wait_closed();
    }());
}

/// Writes 64 KiB blocks until drain() blocks, then reports how much the transport buffers.
struct flood_state {
    bool drain_blocked = false;
    std::size_t buffered_when_blocked = 0;
    std::size_t written = 0;
};

coro<void> flood_until_blocked(std::shared_ptr<flood_state> state, writer_ptr writer) {
    const std::string block = test::payload(64 * 1024);
    for (int i = 0; i < 400; ++i) { // far more than the kernel's socket buffers
        writer->write(block);
        state->written += block.size();
        task<void> draining = create_task(writer->drain());
        co_await sleep(20ms);
        if (!draining.done()) {
            state->drain_blocked = true;
            state->buffered_when_blocked = writer->transport().get_write_buffer_size();
            co_await draining;
            break;
        }
        co_await draining;
    }
    writer->close();
}

TEST_P(Streams, AReaderThatNeverReadsBlocksDrainWithBoundedMemory) {
    run([this]() -> coro<void> {
        auto state = std::make_shared<flood_state>();
        auto flood = [state](reader_ptr, writer_ptr writer) {
            return flood_until_blocked(state, writer);
        };
        net::server srv = co_await serve(flood, net::default_stream_limit);
        auto [reader, writer] = co_await connect();
        CO_ASSERT_TRUE(co_await test::until([&] { return state->drain_blocked; }));
        // The writer waited with about one high-water mark (64 KiB) plus one block buffered.
        EXPECT_LE(state->buffered_when_blocked, 192U * 1024);
        // Our side paused its transport too: the reader holds at most twice its limit.
        co_await sleep(20ms);
        EXPECT_LE(reader->buffered(), 2 * net::default_stream_limit + 64 * 1024);
        const std::string all = co_await reader->read();
        EXPECT_EQ(all.size(), state->written);
        writer->close();
        srv.close();
        co_await srv.wait_closed();
    }());
}

coro<void> observe_reset(std::shared_ptr<std::string> seen, reader_ptr reader, writer_ptr writer) {
    try {
        co_await reader->read();
        *seen = "eof";
    } catch (const connection_reset_error&) {
        *seen = "reset";
    }
    try {
        writer->write("x");
        co_await writer->drain();
    } catch (const connection_reset_error&) {
        *seen += " drain-reset";
    }
}

TEST_P(Streams, APeerResetReachesTheReaderAndDrain) {
    run([this]() -> coro<void> {
        auto seen = std::make_shared<std::string>();
        auto observe = [seen](reader_ptr r, writer_ptr w) { return observe_reset(seen, r, w); };
        net::server srv = co_await serve(observe, net::default_stream_limit);
        auto [reader, writer] = co_await connect();
        writer->write("something");
        co_await writer->drain();
        co_await sleep(5ms);
        const int fd = std::any_cast<int>(writer->get_extra_info("socket"));
        ::linger lin{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
        writer->transport().abort(); // RST
        EXPECT_TRUE(co_await test::until([&] { return !seen->empty(); }));
        EXPECT_EQ(*seen, "reset drain-reset");
        srv.close();
        co_await srv.wait_closed();
    }());
}

coro<void> hold_open(reader_ptr reader, writer_ptr) {
    co_await reader->read();
}

TEST_P(Streams, CancellingEveryStreamAwaitLosesNothing) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve(echo_lines, net::default_stream_limit);
        auto [reader, writer] = co_await connect();
        // Each wait, cancelled while it waits; the stream is intact afterwards.
        task<std::string> t1 = create_task(reader->readline());
        co_await sleep(1ms);
        t1.cancel();
        EXPECT_THROW(co_await t1, cancelled_error);
        task<std::string> t2 = create_task(reader->read(10));
        co_await sleep(1ms);
        t2.cancel();
        EXPECT_THROW(co_await t2, cancelled_error);
        task<std::string> t3 = create_task(reader->readexactly(3));
        co_await sleep(1ms);
        t3.cancel();
        EXPECT_THROW(co_await t3, cancelled_error);
        task<std::string> t4 = create_task(reader->readuntil("!"));
        co_await sleep(1ms);
        t4.cancel();
        EXPECT_THROW(co_await t4, cancelled_error);
        task<void> t5 = create_task(writer->wait_closed());
        co_await sleep(1ms);
        t5.cancel();
        EXPECT_THROW(co_await t5, cancelled_error);
        task<void> t6 = create_task(srv.wait_closed());
        co_await sleep(1ms);
        t6.cancel();
        EXPECT_THROW(co_await t6, cancelled_error);
        writer->write("still works\n");
        co_await writer->drain();
        EXPECT_EQ(co_await reader->readline(), "still works\n");
        writer->close();
        co_await writer->wait_closed();
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Streams, DroppingTheWriterClosesTheConnection) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve(hold_open, net::default_stream_limit);
        {
            auto [reader, writer] = co_await connect();
            writer->write("bye");
        }
        EXPECT_TRUE(co_await test::until([&] { return srv.client_count() == 0; }));
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Streams, UnixSocketStreams) {
    const std::string path = "/tmp/coreloop-streams-" + std::to_string(::getpid()) + "-" +
                             std::string(to_string(GetParam())) + ".sock";
    run([](std::string where) -> coro<void> {
        net::server srv = co_await net::start_unix_server(echo_lines, where);
        auto [reader, writer] = co_await net::open_unix_connection(where);
        writer->write("over unix\n");
        EXPECT_EQ(co_await reader->readline(), "over unix\n");
        writer->close();
        srv.close();
        co_await srv.wait_closed();
    }(path));
}

CORELOOP_ALL_BACKENDS(Streams);

} // namespace
} // namespace coreloop
