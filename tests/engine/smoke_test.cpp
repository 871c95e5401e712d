#include <coreloop/event_loop.hpp>

#include <coreloop/sleep.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class Smoke : public test::loop_test {};

coro<int> add(int a, int b) {
    co_await sleep(1ms);
    co_return a + b;
}

TEST_P(Smoke, TaskSleepsAndReturns) {
    int r = run([]() -> coro<int> {
        int x = co_await add(1, 2);
        auto t = create_task(add(x, 10));
        co_return co_await t;
    }());
    EXPECT_EQ(r, 13);
}

TEST_P(Smoke, SocketRoundTrip) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        co_await loop().sock_sendall(a, "hello");
        std::string got = co_await loop().sock_recv(b, 100);
        EXPECT_EQ(got, "hello");
    }());
}

TEST_P(Smoke, TcpAcceptConnect) {
    run([this]() -> coro<void> {
        socket listener = socket::create(AF_INET);
        listener.bind(sock_address::from_ip("127.0.0.1", 0));
        listener.listen();
        auto address = listener.getsockname();
        socket client = socket::create(AF_INET);
        // Coroutine lambdas get what they use as parameters: captures die with the closure.
        auto accepting = create_task([](event_loop& l, socket& lst) -> coro<socket> {
            auto [s, peer] = co_await l.sock_accept(lst);
            co_return std::move(s);
        }(loop(), listener));
        co_await loop().sock_connect(client, address);
        socket server = co_await std::move(accepting);
        co_await loop().sock_sendall(client, "ping");
        EXPECT_EQ(co_await loop().sock_recv(server, 10), "ping");
    }());
}

CORELOOP_ALL_BACKENDS(Smoke);

} // namespace
} // namespace coreloop
