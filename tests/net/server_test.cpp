// server: listening, closing with live clients, wait_closed, close_clients/abort_clients,
// serve_forever, Unix sockets, and accepting while out of file descriptors — on both
// backends.
#include <coreloop/net/server.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <netinet/in.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/net/connection.hpp>
#include <coreloop/task.hpp>

#include "net/net_test.hpp"
#include "support/loop_test.hpp"
#include "support/sanitizers.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using test::recorder;

class Server : public test::loop_test {
protected:
    net::protocol_factory recording_factory(bool echo = true) {
        return [this, echo] {
            auto p = std::make_shared<recorder>();
            p->echo = echo;
            accepted.push_back(p);
            return std::shared_ptr<net::base_protocol>(p);
        };
    }
    static std::uint16_t port_of(const net::server& s) {
        return s.sockets()[0].getsockname().port();
    }
    static coro<net::connection<recorder>> connect(std::uint16_t port) {
        auto factory = [] { return std::make_shared<recorder>(); };
        co_return co_await net::create_connection(factory, "127.0.0.1", port);
    }
    std::string unix_path(const char* name) const {
        return "/tmp/coreloop-" + std::to_string(::getpid()) + "-" + name + "-" +
               std::string(to_string(GetParam())) + ".sock";
    }

    std::vector<std::shared_ptr<recorder>> accepted;
};

TEST_P(Server, CloseKeepsClientsAndWaitClosedWaitsForThem) {
    run([this]() -> coro<void> {
        net::server srv = co_await net::create_server(recording_factory(), "127.0.0.1", 0);
        EXPECT_TRUE(srv.is_serving());
        const std::uint16_t port = port_of(srv);
        auto [t, p] = co_await connect(port);
        CO_ASSERT_TRUE(co_await test::until([&] { return srv.client_count() == 1; }));
        srv.close();
        EXPECT_FALSE(srv.is_serving());
        EXPECT_TRUE(srv.sockets().empty());
        // The client still works after the server stopped listening.
        t->write("still here");
        EXPECT_TRUE(co_await test::until([&] { return p->received == "still here"; }));
        // And nobody listens any more.
        auto factory = [] { return std::make_shared<recorder>(); };
        EXPECT_THROW(co_await net::create_connection(factory, "127.0.0.1", port),
                     connection_refused_error);
        task<void> waiting = create_task(srv.wait_closed());
        co_await sleep(10ms);
        EXPECT_FALSE(waiting.done());
        t->close();
        co_await waiting;
        EXPECT_EQ(srv.client_count(), 0U);
    }());
}

TEST_P(Server, CloseClientsAndAbortClients) {
    run([this]() -> coro<void> {
        net::server srv = co_await net::create_server(recording_factory(), "127.0.0.1", 0);
        auto [t1, p1] = co_await connect(port_of(srv));
        auto [t2, p2] = co_await connect(port_of(srv));
        CO_ASSERT_TRUE(co_await test::until([&] { return srv.client_count() == 2; }));
        srv.close();
        srv.close_clients();
        EXPECT_TRUE(co_await test::until([&] { return p1->lost && p2->lost; }));
        co_await srv.wait_closed();

        net::server srv2 = co_await net::create_server(recording_factory(), "127.0.0.1", 0);
        auto [t3, p3] = co_await connect(port_of(srv2));
        CO_ASSERT_TRUE(co_await test::until([&] { return srv2.client_count() == 1; }));
        srv2.abort_clients();
        EXPECT_TRUE(co_await test::until([&] { return p3->lost; }));
        EXPECT_TRUE(srv2.is_serving()); // aborting clients does not close the server
        srv2.close();
        co_await srv2.wait_closed();
    }());
}

TEST_P(Server, ServeForeverEndsWhenCancelledAndClosesTheServer) {
    run([this]() -> coro<void> {
        net::server_options opts;
        opts.start_serving = false;
        net::server srv =
                co_await net::create_server(recording_factory(), "127.0.0.1", 0, std::move(opts));
        EXPECT_FALSE(srv.is_serving());
        task<void> serving = create_task(srv.serve_forever());
        co_await sleep(0s);
        EXPECT_TRUE(srv.is_serving());
        EXPECT_THROW(co_await srv.serve_forever(), std::runtime_error);
        auto [t, p] = co_await connect(port_of(srv));
        t->write("x");
        EXPECT_TRUE(co_await test::until([&] { return p->received == "x"; }));
        t->close();
        serving.cancel();
        EXPECT_THROW(co_await serving, cancelled_error);
        EXPECT_FALSE(srv.is_serving());
    }());
}

TEST_P(Server, UnixServerServesAndRemovesItsSocketFile) {
    const std::string path = unix_path("srv");
    run([this](std::string where) -> coro<void> {
        net::server srv = co_await net::create_unix_server(recording_factory(), where);
        struct ::stat st {};
        EXPECT_EQ(::stat(where.c_str(), &st), 0);
        auto factory = [] { return std::make_shared<recorder>(); };
        auto [t, p] = co_await net::create_unix_connection(factory, where);
        t->write("over unix");
        EXPECT_TRUE(co_await test::until([&] { return p->received == "over unix"; }));
        t->close();
        srv.close();
        co_await srv.wait_closed();
        EXPECT_NE(::stat(where.c_str(), &st), 0) << "the socket file is still there";
    }(path));
}

TEST_P(Server, BindingAPortInUseFails) {
    run([this]() -> coro<void> {
        net::server_options no_reuse;
        no_reuse.reuse_address = false;
        net::server srv = co_await net::create_server(recording_factory(), "127.0.0.1", 0,
                                                      std::move(no_reuse));
        net::server_options again;
        again.reuse_address = false;
        EXPECT_THROW(co_await net::create_server(recording_factory(), "127.0.0.1", port_of(srv),
                                                 std::move(again)),
                     io_error);
        srv.close();
        co_await srv.wait_closed();
    }());
}

/// Lowers RLIMIT_NOFILE for the length of a test.
class fd_limit {
public:
    explicit fd_limit(rlim_t soft) {
        ::getrlimit(RLIMIT_NOFILE, &saved_);
        ::rlimit lower = saved_;
        lower.rlim_cur = soft;
        ::setrlimit(RLIMIT_NOFILE, &lower);
    }
    ~fd_limit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

private:
    ::rlimit saved_{};
};

TEST_P(Server, OutOfDescriptorsBacksOffKeepsServingAndResumes) {
#ifdef CORELOOP_TEST_SANITIZED
    // The sanitizer runtimes need descriptors of their own: UBSan checks the type of each
    // polymorphic object it meets first by probing memory through a pipe, and reports a bad
    // vptr when it cannot open one. A process out of descriptors cannot run under them.
    GTEST_SKIP() << "runs out of file descriptors, which the sanitizer runtime needs";
#endif
    run([this]() -> coro<void> {
        // The limit is lowered first: io_uring reads it when the accept is submitted.
        std::optional<fd_limit> limit;
        limit.emplace(static_cast<rlim_t>(test::count_open_fds() + 40));
        net::server srv = co_await net::create_server(recording_factory(), "127.0.0.1", 0);
        const std::uint16_t port = port_of(srv);
        auto [t, p] = co_await connect(port);
        CO_ASSERT_TRUE(co_await test::until([&] { return srv.client_count() == 1; }));
        // Use up the descriptors, leaving room for one client socket only: its connect
        // completes in the backlog, but the server's accept fails with EMFILE.
        std::vector<int> hogs;
        for (;;) {
            int fd = ::dup(0);
            if (fd < 0) {
                break;
            }
            hogs.push_back(fd);
        }
        if (!hogs.empty()) { // room for the client socket only
            ::close(hogs.back());
            hogs.pop_back();
        }
        int waiting = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        EXPECT_GE(waiting, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::connect(waiting, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
        EXPECT_TRUE(co_await test::until([&] { return !reports.empty(); }));
        // The existing connection is still served while accept backs off.
        t->write("served during EMFILE");
        EXPECT_TRUE(co_await test::until([&] { return p->received == "served during EMFILE"; }));
        EXPECT_EQ(srv.client_count(), 1U);
        for (int fd : hogs) {
            ::close(fd);
        }
        limit.reset();
        // Descriptors are back: the waiting connection gets accepted.
        EXPECT_TRUE(co_await test::until([&] { return srv.client_count() == 2; }));
        ::close(waiting);
        CO_ASSERT_TRUE(!reports.empty());
        EXPECT_EQ(reports[0].message, "socket.accept() out of system resource");
        // Back-off keeps reports rare: one per failed attempt, at least 50 ms apart.
        EXPECT_LE(reports.size(), 10U);
        reports.clear();
        t->close();
        srv.close();
        srv.close_clients();
        co_await srv.wait_closed();
    }());
}

CORELOOP_ALL_BACKENDS(Server);

} // namespace
} // namespace coreloop
