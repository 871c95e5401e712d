// Stream transports and protocols over real TCP and Unix sockets, on both backends: the
// callback order, coalesced writes, flow control in both directions, half-close, abort,
// resets, buffered protocols, and running out of shared receive buffers.
#include <coreloop/net/transport.hpp>

#include <any>
#include <cerrno>
#include <memory>
#include <string>

#include <sys/socket.h>
#include <unistd.h>

#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/net/connection.hpp>
#include <coreloop/net/server.hpp>
#include <coreloop/task.hpp>

#include "net/net_test.hpp"
#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using test::recorder;

class Transport : public test::loop_test {
protected:
    /// An echo server on 127.0.0.1 whose protocols land in `accepted`.
    coro<net::server> echo_server() {
        auto factory = [this] {
            auto p = std::make_shared<recorder>();
            p->echo = true;
            accepted.push_back(p);
            return std::shared_ptr<net::base_protocol>(p);
        };
        co_return co_await net::create_server(factory, "127.0.0.1", 0);
    }
    static std::uint16_t port_of(const net::server& s) {
        return s.sockets()[0].getsockname().port();
    }
    static coro<net::connection<recorder>> connect(std::uint16_t port) {
        auto factory = [] { return std::make_shared<recorder>(); };
        co_return co_await net::create_connection(factory, "127.0.0.1", port);
    }

    std::vector<std::shared_ptr<recorder>> accepted;
};

TEST_P(Transport, EchoInCallbackOrder) {
    run([this]() -> coro<void> {
        net::server srv = co_await echo_server();
        auto [t, p] = co_await connect(port_of(srv));
        EXPECT_EQ(p->events, std::vector<std::string>{"made"});
        t->write("hello, ");
        t->write("world");
        EXPECT_TRUE(co_await test::until([&] { return p->received == "hello, world"; }));
        t->close();
        EXPECT_TRUE(t->is_closing());
        EXPECT_TRUE(co_await test::until(
                [&] { return p->lost && !accepted.empty() && accepted[0]->lost; }));
        EXPECT_EQ(p->events, (std::vector<std::string>{"made", "lost"}));
        EXPECT_FALSE(p->lost_with);
        // The server side saw the client's EOF, then closed (eof_received returned false).
        EXPECT_EQ(accepted[0]->events, (std::vector<std::string>{"made", "eof", "lost"}));
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Transport, ManyWritesInOneIterationArriveInOrder) {
    run([this]() -> coro<void> {
        net::server srv = co_await echo_server();
        auto [t, p] = co_await connect(port_of(srv));
        const std::string data = test::payload(3 << 20);
        // 3 MiB in writes of assorted sizes, all in one iteration: the kernel takes them in
        // several partial sends.
        std::size_t at = 0;
        for (std::size_t n = 1; at < data.size(); n = n * 3 % 65521 + 1) {
            const std::size_t k = std::min(n, data.size() - at);
            t->write(std::string_view(data).substr(at, k));
            at += k;
        }
        EXPECT_TRUE(co_await test::until([&] { return p->received.size() >= data.size(); }));
        EXPECT_TRUE(p->received == data);
        t->close();
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Transport, ExtraInfoNamesBothEnds) {
    run([this]() -> coro<void> {
        net::server srv = co_await echo_server();
        auto [t, p] = co_await connect(port_of(srv));
        auto peer = std::any_cast<sock_address>(t->get_extra_info("peername"));
        auto local = std::any_cast<sock_address>(t->get_extra_info("sockname"));
        EXPECT_EQ(peer.port(), port_of(srv));
        EXPECT_EQ(local.host(), "127.0.0.1");
        EXPECT_GE(std::any_cast<int>(t->get_extra_info("socket")), 0);
        EXPECT_FALSE(t->get_extra_info("no such thing").has_value());
        EXPECT_EQ(t->get_protocol(), p.get());
        t->abort();
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Transport, PausedReadingHoldsDataUntilResumed) {
    run([this]() -> coro<void> {
        net::server srv = co_await echo_server();
        auto [t, p] = co_await connect(port_of(srv));
        t->pause_reading();
        t->pause_reading(); // idempotent
        EXPECT_FALSE(t->is_reading());
        t->write("while paused");
        co_await sleep(30ms);
        EXPECT_EQ(p->received, "");
        t->resume_reading();
        EXPECT_TRUE(t->is_reading());
        EXPECT_TRUE(co_await test::until([&] { return p->received == "while paused"; }));
        t->close();
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Transport, PeerThatNeverReadsPausesTheWriter) {
    run([this]() -> coro<void> {
        net::server srv = co_await echo_server();
        auto [t, p] = co_await connect(port_of(srv));
        CO_ASSERT_TRUE(co_await test::until([&] { return !accepted.empty(); }));
        accepted[0]->transport->pause_reading(); // the server stops reading: we fill up
        t->set_write_buffer_limits(64 * 1024);
        EXPECT_EQ(t->get_write_buffer_limits(),
                  (std::pair<std::size_t, std::size_t>(16 * 1024, 64 * 1024)));
        const std::string block = test::payload(64 * 1024);
        while (!p->has("pause")) {
            t->write(block);
            co_await sleep(1ms);
            EXPECT_LT(t->get_write_buffer_size(), 64U << 20) << "the writer was never paused";
            if (t->get_write_buffer_size() > (64U << 20)) {
                break;
            }
        }
        const std::size_t buffered = t->get_write_buffer_size();
        EXPECT_GT(buffered, 64U * 1024);
        co_await sleep(20ms);
        EXPECT_FALSE(p->has("resume"));
        accepted[0]->transport->resume_reading(); // it drains, echoing back to us
        EXPECT_TRUE(co_await test::until([&] { return p->has("resume"); }));
        EXPECT_LE(t->get_write_buffer_size(), 16U * 1024);
        t->abort();
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Transport, WriteEofHalfClosesAndTheOtherWayStillWorks) {
    run([this]() -> coro<void> {
        auto factory = [this] {
            auto p = std::make_shared<recorder>();
            p->keep_open_on_eof = true;
            accepted.push_back(p);
            return std::shared_ptr<net::base_protocol>(p);
        };
        net::server srv = co_await net::create_server(factory, "127.0.0.1", 0);
        auto [t, p] = co_await connect(port_of(srv));
        EXPECT_TRUE(t->can_write_eof());
        t->write("last words");
        t->write_eof();
        EXPECT_THROW(t->write("more"), std::runtime_error);
        CO_ASSERT_TRUE(
                co_await test::until([&] { return !accepted.empty() && accepted[0]->has("eof"); }));
        EXPECT_EQ(accepted[0]->received, "last words");
        EXPECT_FALSE(accepted[0]->lost); // kept open for writing
        accepted[0]->transport->write("reply after eof");
        EXPECT_TRUE(co_await test::until([&] { return p->received == "reply after eof"; }));
        accepted[0]->transport->close();
        EXPECT_TRUE(co_await test::until([&] { return p->lost && accepted[0]->lost; }));
        EXPECT_EQ(p->events, (std::vector<std::string>{"made", "eof", "lost"}));
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Transport, AbortDropsBufferedDataAndReportsNoError) {
    run([this]() -> coro<void> {
        net::server srv = co_await echo_server();
        auto [t, p] = co_await connect(port_of(srv));
        t->write(test::payload(1 << 20));
        t->abort();
        EXPECT_TRUE(t->is_closing());
        EXPECT_EQ(t->get_write_buffer_size(), 0U);
        EXPECT_TRUE(co_await test::until([&] { return p->lost; }));
        EXPECT_FALSE(p->lost_with);
        t->write("ignored after abort");
        srv.close();
        srv.close_clients();
        co_await srv.wait_closed();
    }());
}

TEST_P(Transport, PeerResetDuringALargeWriteEndsWithAnError) {
    run([this]() -> coro<void> {
        net::server srv = co_await echo_server();
        auto [t, p] = co_await connect(port_of(srv));
        CO_ASSERT_TRUE(co_await test::until([&] { return !accepted.empty(); }));
        accepted[0]->transport->pause_reading();
        const std::string block = test::payload(1 << 20);
        for (int i = 0; i < 8; ++i) {
            t->write(block);
        }
        co_await sleep(10ms);
        // SO_LINGER 0 makes the server's close send a RST.
        int fd = std::any_cast<int>(accepted[0]->transport->get_extra_info("socket"));
        ::linger lin{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
        accepted[0]->transport->abort();
        EXPECT_TRUE(co_await test::until([&] { return p->lost; }));
        CO_ASSERT_TRUE(p->lost_with);
        EXPECT_THROW(std::rethrow_exception(p->lost_with), io_error);
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Transport, ProtocolExceptionAbortsTheConnectionAndIsReported) {
    run([this]() -> coro<void> {
        net::server srv = co_await echo_server();
        auto [t, p] = co_await connect(port_of(srv));
        p->on_data = [](std::span<const std::byte>) { throw std::logic_error("bad protocol"); };
        t->write("ping");
        EXPECT_TRUE(co_await test::until([&] { return p->lost; }));
        CO_ASSERT_TRUE(p->lost_with);
        EXPECT_THROW(std::rethrow_exception(p->lost_with), std::logic_error);
        CO_ASSERT_TRUE(reports.size() == 1U);
        EXPECT_NE(reports[0].message.find("data_received"), std::string::npos);
        reports.clear();
        srv.close();
        co_await srv.wait_closed();
    }());
}

/// A buffered protocol with a deliberately small buffer.
class small_buffers : public net::buffered_protocol {
public:
    void connection_made(net::transport& t) override { transport = &t; }
    std::span<std::byte> get_buffer(std::size_t sizehint) override {
        EXPECT_GT(sizehint, 0U);
        return buffer;
    }
    void buffer_updated(std::size_t n) override {
        received.append(reinterpret_cast<const char*>(buffer.data()), n);
    }
    void connection_lost(std::exception_ptr) override { lost = true; }

    net::transport* transport = nullptr;
    std::array<std::byte, 7> buffer{};
    std::string received;
    bool lost = false;
};

TEST_P(Transport, BufferedProtocolGetsEveryByteThroughSmallBuffers) {
    run([this]() -> coro<void> {
        net::server srv = co_await echo_server();
        auto factory = [] { return std::make_shared<small_buffers>(); };
        auto [t, p] = co_await net::create_connection(factory, "127.0.0.1", port_of(srv));
        const std::string data = test::payload(100000);
        t->write(data);
        EXPECT_TRUE(co_await test::until([&] { return p->received.size() >= data.size(); }));
        EXPECT_TRUE(p->received == data);
        t->close();
        EXPECT_TRUE(co_await test::until([&] { return p->lost; }));
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Transport, ConnectingToAClosedPortIsRefused) {
    run([]() -> coro<void> {
        // Bind a port, then close it: nothing listens there.
        socket s = socket::create(AF_INET);
        s.bind(sock_address::from_ip("127.0.0.1", 0));
        const std::uint16_t port = s.getsockname().port();
        s.close();
        auto factory = [] { return std::make_shared<recorder>(); };
        EXPECT_THROW(co_await net::create_connection(factory, "127.0.0.1", port),
                     connection_refused_error);
    }());
}

CORELOOP_ALL_BACKENDS(Transport);

/// The same tests' hardest case with a pool of two shared receive buffers: most receives find
/// none free (ENOBUFS) and fall back to plain receives, losing nothing.
class TransportFewBuffers : public Transport {
protected:
    void SetUp() override {
        Transport::SetUp();
        options.recv_buffer_count = 2;
        options.recv_buffer_size = 512;
        make_loop();
    }
};

TEST_P(TransportFewBuffers, ManyConnectionsShareTwoBuffers) {
    run([this]() -> coro<void> {
        net::server srv = co_await echo_server();
        std::vector<net::connection<recorder>> clients;
        for (int i = 0; i < 16; ++i) {
            clients.push_back(co_await connect(port_of(srv)));
        }
        const std::string data = test::payload(200000);
        for (auto& [t, p] : clients) {
            t->write(data);
        }
        for (auto& [t, p] : clients) {
            EXPECT_TRUE(co_await test::until([&] { return p->received.size() >= data.size(); }));
            EXPECT_TRUE(p->received == data);
            t->close();
        }
        srv.close();
        co_await srv.wait_closed();
    }());
}

CORELOOP_ALL_BACKENDS(TransportFewBuffers);

} // namespace
} // namespace coreloop
