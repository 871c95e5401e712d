// create_connection's client side on both backends: several addresses one after another and
// as a Happy Eyeballs race, asyncio's error rules, local_addr, a given socket,
// connect_accepted_socket, and cancelling a connect that hangs.
#include <coreloop/net/connection.hpp>

#include <memory>
#include <string>
#include <vector>

#include <sys/socket.h>

#include <coreloop/event_loop.hpp>
#include <coreloop/exception_group.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/net/server.hpp>
#include <coreloop/task.hpp>

#include "net/net_test.hpp"
#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using test::recorder;

const std::vector<net::addrinfo_entry> no_local;

net::addrinfo_entry tcp_entry(const sock_address& a) {
    return net::addrinfo_entry{a.family(), SOCK_STREAM, IPPROTO_TCP, "", a};
}

/// A loopback port nobody listens on.
sock_address dead_address() {
    socket s = socket::create(AF_INET);
    s.bind(sock_address::from_ip("127.0.0.1", 0));
    return s.getsockname();
}

/// A listener whose accept queue is full and never drained: a connect to it hangs (the
/// kernel drops the SYNs), which stands for an address that does not answer.
struct black_hole {
    socket listener = socket::create(AF_INET);
    std::vector<socket> fillers;

    black_hole() {
        listener.bind(sock_address::from_ip("127.0.0.1", 0));
        listener.listen(0);
        for (int i = 0; i < 4; ++i) {
            socket c = socket::create(AF_INET);
            ::connect(c.fileno(), listener.getsockname().data(), listener.getsockname().size());
            fillers.push_back(std::move(c));
        }
    }
    sock_address address() const { return listener.getsockname(); }
};

class Connection : public test::loop_test {
protected:
    coro<net::server> live_server() {
        auto factory = [] {
            auto p = std::make_shared<recorder>();
            p->echo = true;
            return std::shared_ptr<net::base_protocol>(p);
        };
        co_return co_await net::create_server(factory, "127.0.0.1", 0);
    }
};

TEST_P(Connection, TriesAddressesInOrderUntilOneAccepts) {
    run([this]() -> coro<void> {
        net::server srv = co_await live_server();
        std::vector<net::addrinfo_entry> infos{tcp_entry(dead_address()),
                                               tcp_entry(srv.sockets()[0].getsockname())};
        const net::connection_options opts;
        socket s = co_await net::detail::connect_to_any(std::move(infos), no_local, opts);
        EXPECT_EQ(s.getpeername(), srv.sockets()[0].getsockname());
        s.close(); // the server's side sees EOF and closes: wait_closed can end
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Connection, EveryAddressRefusedGivesOneErrorOrAGroup) {
    run([]() -> coro<void> {
        std::vector<net::addrinfo_entry> infos{tcp_entry(dead_address()),
                                               tcp_entry(dead_address())};
        const net::connection_options opts;
        EXPECT_THROW(co_await net::detail::connect_to_any(infos, no_local, opts),
                     connection_refused_error);
        net::connection_options all;
        all.all_errors = true;
        try {
            co_await net::detail::connect_to_any(infos, no_local, all);
            ADD_FAILURE() << "connected to nothing";
        } catch (const exception_group& g) {
            EXPECT_EQ(g.exceptions().size(), 2U);
        }
    }());
}

TEST_P(Connection, HappyEyeballsStartsTheNextAttemptWhenOneHangs) {
    run([this]() -> coro<void> {
        net::server srv = co_await live_server();
        black_hole hole;
        std::vector<net::addrinfo_entry> infos{tcp_entry(hole.address()),
                                               tcp_entry(srv.sockets()[0].getsockname())};
        net::connection_options opts;
        opts.happy_eyeballs_delay = 30ms;
        const auto start = std::chrono::steady_clock::now();
        socket s = co_await net::detail::connect_to_any(std::move(infos), no_local, opts);
        EXPECT_EQ(s.getpeername(), srv.sockets()[0].getsockname());
        EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
        s.close();
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Connection, CancellingAHangingConnectLeavesNothingOpen) {
    run([]() -> coro<void> {
        black_hole hole;
        auto factory = [] { return std::make_shared<recorder>(); };
        task<net::connection<recorder>> connecting =
                create_task(net::create_connection(factory, "127.0.0.1", hole.address().port()));
        co_await sleep(20ms);
        EXPECT_FALSE(connecting.done());
        connecting.cancel();
        EXPECT_THROW(co_await connecting, cancelled_error);
    }());
}

TEST_P(Connection, LocalAddressIsBoundBeforeConnecting) {
    run([this]() -> coro<void> {
        net::server srv = co_await live_server();
        const std::uint16_t local_port = dead_address().port(); // free right now
        net::connection_options opts;
        opts.local_addr = net::host_port("127.0.0.1", local_port);
        auto factory = [] { return std::make_shared<recorder>(); };
        auto [t, p] = co_await net::create_connection(
                factory, "127.0.0.1", srv.sockets()[0].getsockname().port(), std::move(opts));
        EXPECT_EQ(std::any_cast<sock_address>(t->get_extra_info("sockname")).port(), local_port);
        t->close();
        srv.close();
        srv.close_clients();
        co_await srv.wait_closed();
    }());
}

TEST_P(Connection, GivenAndAcceptedSocketsBecomeTransports) {
    run([]() -> coro<void> {
        auto [a, b] = socket::pair();
        auto factory = [] { return std::make_shared<recorder>(); };
        net::connection_options opts;
        opts.sock = std::move(a);
        auto [ta, pa] = co_await net::create_connection(factory, "", 0, std::move(opts));
        auto [tb, pb] = co_await net::connect_accepted_socket(factory, std::move(b));
        ta->write("across a socketpair");
        EXPECT_TRUE(co_await test::until([&] { return pb->received == "across a socketpair"; }));
        ta->close();
        EXPECT_TRUE(co_await test::until([&] { return pb->has("eof") && pa->lost; }));
        EXPECT_TRUE(pb->lost);
        auto [d1, d2] = socket::pair(AF_UNIX, SOCK_DGRAM);
        EXPECT_THROW(co_await net::connect_accepted_socket(factory, std::move(d1)),
                     std::invalid_argument);
    }());
}

CORELOOP_ALL_BACKENDS(Connection);

} // namespace
} // namespace coreloop
