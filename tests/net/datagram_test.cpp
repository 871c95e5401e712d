// Datagram endpoints (create_datagram_endpoint) over UDP and Unix datagram sockets, on both
// backends: sending and receiving with addresses, connected endpoints, errors that reach
// error_received without closing, and closing.
#include <coreloop/net/datagram.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>

#include "net/net_test.hpp"
#include "support/loop_test.hpp"

namespace coreloop {
namespace {

/// Records datagrams (with their source) and errors; optionally echoes to the sender.
class datagram_recorder : public net::datagram_protocol {
public:
    void connection_made(net::datagram_transport& t) override { transport = &t; }
    void datagram_received(std::span<const std::byte> data, const sock_address& from) override {
        received.emplace_back(std::string(reinterpret_cast<const char*>(data.data()), data.size()),
                              from);
        if (echo) {
            transport->sendto(data, &from);
        }
    }
    void error_received(std::exception_ptr exc) override { errors.push_back(exc); }
    void connection_lost(std::exception_ptr exc) override {
        lost = true;
        lost_with = exc;
    }

    net::datagram_transport* transport = nullptr;
    std::vector<std::pair<std::string, sock_address>> received;
    std::vector<std::exception_ptr> errors;
    std::exception_ptr lost_with;
    bool echo = false;
    bool lost = false;
};

class Datagram : public test::loop_test {};

sock_address sockname_of(net::datagram_transport& t) {
    return std::any_cast<sock_address>(t.get_extra_info("sockname"));
}

TEST_P(Datagram, UnconnectedEndpointsExchangeDatagramsWithAddresses) {
    run([]() -> coro<void> {
        auto server_factory = [] {
            auto p = std::make_shared<datagram_recorder>();
            p->echo = true;
            return p;
        };
        auto [st, sp] = co_await net::create_datagram_endpoint(
                server_factory, net::host_port("127.0.0.1", 0), std::nullopt);
        auto client_factory = [] { return std::make_shared<datagram_recorder>(); };
        auto [ct, cp] = co_await net::create_datagram_endpoint(
                client_factory, net::host_port("127.0.0.1", 0), std::nullopt);
        const sock_address server_addr = sockname_of(*st);
        ct->sendto("one", &server_addr);
        ct->sendto("", &server_addr); // an empty datagram is a datagram
        ct->sendto("three", &server_addr);
        EXPECT_TRUE(co_await test::until([&] { return cp->received.size() == 3; }));
        CO_ASSERT_TRUE(sp->received.size() == 3);
        EXPECT_EQ(sp->received[0].first, "one");
        EXPECT_EQ(sp->received[1].first, "");
        EXPECT_EQ(sp->received[2].first, "three");
        EXPECT_EQ(sp->received[0].second, sockname_of(*ct));
        EXPECT_EQ(cp->received[2].second, server_addr);
        EXPECT_THROW(ct->sendto("no address"), std::invalid_argument);
        ct->close();
        st->close();
        EXPECT_TRUE(co_await test::until([&] { return cp->lost && sp->lost; }));
        EXPECT_FALSE(cp->lost_with);
    }());
}

TEST_P(Datagram, ConnectedEndpointSendsWithoutAnAddressAndHearsOnlyItsPeer) {
    run([]() -> coro<void> {
        auto factory = [] {
            auto p = std::make_shared<datagram_recorder>();
            p->echo = true;
            return p;
        };
        auto [st, sp] = co_await net::create_datagram_endpoint(
                factory, net::host_port("127.0.0.1", 0), std::nullopt);
        const sock_address server_addr = sockname_of(*st);
        auto client_factory = [] { return std::make_shared<datagram_recorder>(); };
        auto [ct, cp] = co_await net::create_datagram_endpoint(
                client_factory, std::nullopt, net::host_port("127.0.0.1", server_addr.port()));
        EXPECT_EQ(std::any_cast<sock_address>(ct->get_extra_info("peername")), server_addr);
        ct->sendto("ping");
        EXPECT_TRUE(co_await test::until([&] { return !cp->received.empty(); }));
        EXPECT_EQ(cp->received[0].first, "ping");
        EXPECT_EQ(cp->received[0].second, server_addr);
        const sock_address elsewhere = sock_address::from_ip("127.0.0.1", 9);
        EXPECT_THROW(ct->sendto("x", &elsewhere), std::invalid_argument);
        ct->abort();
        st->abort();
        EXPECT_TRUE(co_await test::until([&] { return cp->lost && sp->lost; }));
    }());
}

TEST_P(Datagram, RefusedDatagramReachesErrorReceivedAndTheEndpointGoesOn) {
    run([]() -> coro<void> {
        // A port nobody listens on: the kernel answers the connected socket with
        // ECONNREFUSED (from the ICMP port-unreachable).
        socket probe = socket::create(AF_INET, SOCK_DGRAM);
        probe.bind(sock_address::from_ip("127.0.0.1", 0));
        const std::uint16_t dead_port = probe.getsockname().port();
        probe.close();
        auto factory = [] { return std::make_shared<datagram_recorder>(); };
        auto [t, p] = co_await net::create_datagram_endpoint(
                factory, std::nullopt, net::host_port("127.0.0.1", dead_port));
        for (int i = 0; i < 3 && p->errors.empty(); ++i) {
            t->sendto("anyone?");
            co_await test::until([&] { return !p->errors.empty(); });
        }
        CO_ASSERT_TRUE(!p->errors.empty());
        EXPECT_THROW(std::rethrow_exception(p->errors[0]), connection_refused_error);
        EXPECT_FALSE(t->is_closing());
        EXPECT_FALSE(p->lost);
        t->close();
        EXPECT_TRUE(co_await test::until([&] { return p->lost; }));
    }());
}

TEST_P(Datagram, UnixDatagramSocketGivenAsSock) {
    run([]() -> coro<void> {
        auto [a, b] = socket::pair(AF_UNIX, SOCK_DGRAM);
        auto factory = [] { return std::make_shared<datagram_recorder>(); };
        net::datagram_options oa;
        oa.sock = std::move(a);
        auto [ta, pa] = co_await net::create_datagram_endpoint(factory, std::nullopt, std::nullopt,
                                                               std::move(oa));
        net::datagram_options ob;
        ob.sock = std::move(b);
        auto [tb, pb] = co_await net::create_datagram_endpoint(factory, std::nullopt, std::nullopt,
                                                               std::move(ob));
        ta->sendto("over a unix datagram socket");
        EXPECT_TRUE(co_await test::until([&] { return !pb->received.empty(); }));
        EXPECT_EQ(pb->received[0].first, "over a unix datagram socket");
        ta->close();
        tb->close();
        EXPECT_TRUE(co_await test::until([&] { return pa->lost && pb->lost; }));
    }());
}

TEST_P(Datagram, NeitherAddressNorSockIsAnError) {
    run([]() -> coro<void> {
        auto factory = [] { return std::make_shared<datagram_recorder>(); };
        EXPECT_THROW(co_await net::create_datagram_endpoint(factory, std::nullopt, std::nullopt),
                     std::invalid_argument);
    }());
}

CORELOOP_ALL_BACKENDS(Datagram);

} // namespace
} // namespace coreloop
