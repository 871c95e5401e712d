// coreloop-demo: concurrent tasks, a timer and a TCP echo round trip on one shard's loop, then
// cross-shard calls on an engine of one shard per CPU.
// Usage: coreloop-demo [--backend io_uring|epoll]
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <coreloop/event_loop.hpp>
#include <coreloop/runner.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "shard_demo.hpp"

using namespace std::chrono_literals;

namespace {

constexpr int message_count = 1000;
constexpr std::size_t message_size = 64;
using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// Named coroutines take their state as parameters: a coroutine lambda's captures would die
// with the closure while the coroutine still runs.
coreloop::coro<void> nap(std::string name, std::chrono::milliseconds delay) {
    const auto start = clock_type::now();
    co_await coreloop::sleep(delay);
    std::printf("  task %-6s done after %5.1f ms\n", name.c_str(), ms_since(start));
}

coreloop::coro<void> show_tasks(coreloop::event_loop& loop) {
    std::printf("three tasks sleeping 30, 10 and 20 ms, and a call_later(15 ms):\n");
    const auto start = clock_type::now();
    auto report = [start] { std::printf("  call_later fired after %5.1f ms\n", ms_since(start)); };
    loop.call_later(15ms, report);
    auto slow = coreloop::create_task(nap("slow", 30ms), "slow");
    auto fast = coreloop::create_task(nap("fast", 10ms), "fast");
    auto medium = coreloop::create_task(nap("medium", 20ms), "medium");
    co_await slow;
    co_await fast;
    co_await medium;
}

// Sends back whatever arrives until the peer shuts down its side.
coreloop::coro<void> echo(coreloop::event_loop& loop, coreloop::socket& listener) {
    auto [conn, peer] = co_await loop.sock_accept(listener);
    std::array<std::byte, 4096> buffer{};
    for (;;) {
        const std::size_t n = co_await loop.sock_recv_into(conn, buffer);
        if (n == 0) {
            co_return;
        }
        co_await loop.sock_sendall(conn, std::span<const std::byte>(buffer.data(), n));
    }
}

// Sends message_count messages one at a time, waiting for each echo in full.
coreloop::coro<void> ping(coreloop::event_loop& loop, coreloop::socket& client) {
    std::array<std::byte, message_size> message{};
    std::array<std::byte, message_size> reply{};
    for (int i = 0; i < message_count; ++i) {
        message.fill(static_cast<std::byte>(i));
        co_await loop.sock_sendall(client, message);
        for (std::size_t got = 0; got < message_size;) {
            const std::size_t n =
                    co_await loop.sock_recv_into(client, std::span(reply).subspan(got));
            if (n == 0) {
                throw std::runtime_error("echo server closed the connection early");
            }
            got += n;
        }
        if (reply != message) {
            throw std::runtime_error("echo returned different bytes");
        }
    }
    client.shutdown(SHUT_WR);
}

coreloop::coro<double> show_echo(coreloop::event_loop& loop) {
    coreloop::socket listener = coreloop::socket::create(AF_INET);
    listener.bind(coreloop::sock_address::from_ip("127.0.0.1", 0));
    listener.listen();
    const coreloop::sock_address address = listener.getsockname();
    std::printf("echo server on %s, %d messages of %zu bytes:\n", address.to_string().c_str(),
                message_count, message_size);

    auto server = coreloop::create_task(echo(loop, listener), "echo");
    coreloop::socket client = coreloop::socket::create(AF_INET);
    co_await loop.sock_connect(client, address);
    const auto start = clock_type::now();
    co_await ping(loop, client);
    co_await server;
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    const double rate = message_count / seconds;
    std::printf("  %d round trips in %.1f ms: %.0f round trips/s\n", message_count, seconds * 1000,
                rate);
    co_return rate;
}

coreloop::coro<int> demo() {
    coreloop::event_loop& loop = coreloop::get_running_loop();
    std::printf("coreloop-demo on the %s backend\n", std::string(loop.backend_name()).c_str());
    const auto start = clock_type::now();
    co_await show_tasks(loop);
    const double rate = co_await show_echo(loop);
    std::printf("summary: backend=%s tasks=3 timers=1 round_trips=%d rate=%.0f/s total=%.1f ms\n",
                std::string(loop.backend_name()).c_str(), message_count, rate, ms_since(start));
    co_return 0;
}

int usage(const char* program) {
    std::fprintf(stderr, "usage: %s [--backend io_uring|epoll]\n", program);
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    coreloop::run_options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--backend" && i + 1 < argc) {
            const std::string_view name = argv[++i];
            if (name == "io_uring") {
                options.io_backend = coreloop::backend::io_uring;
            } else if (name == "epoll") {
                options.io_backend = coreloop::backend::epoll;
            } else {
                return usage(argv[0]);
            }
        } else {
            return usage(argv[0]);
        }
    }
    try {
        const int status = coreloop::run(demo(), options);
        if (status != 0) {
            return status;
        }
        return coreloop::demo::run_shard_demo(options.io_backend, 300ms);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "coreloop-demo: %s\n", e.what());
        return 1;
    }
}
