// The loop's socket operations (sock_recv, sock_recv_into, sock_sendall, sock_accept,
// sock_connect) and add_reader/add_writer, on both backends. socket and sock_address alone
// are in socket_test.cpp.
#include <coreloop/event_loop.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <coreloop/exceptions.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class SocketOps : public test::loop_test {};

std::string make_payload(std::size_t n) {
    std::string s(n, '\0');
    std::uint32_t x = 12345;
    for (auto& c : s) {
        x = x * 1103515245 + 12345;
        c = static_cast<char>(x >> 16);
    }
    return s;
}

bool ipv6_available() {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    sock_address a = sock_address::from_ip("::1", 0);
    bool ok = ::bind(fd, a.data(), a.size()) == 0;
    ::close(fd);
    return ok;
}

int bytes_readable(const socket& s) {
    int n = 0;
    ::ioctl(s.fileno(), FIONREAD, &n);
    return n;
}

// Counts SIGPIPEs for the length of a test instead of ignoring them.
class sigpipe_counter {
public:
    sigpipe_counter() {
        count() = 0;
        struct sigaction sa {};
        sa.sa_handler = [](int) { count() = count() + 1; };
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGPIPE, &sa, &old_);
    }
    sigpipe_counter(const sigpipe_counter&) = delete;
    sigpipe_counter& operator=(const sigpipe_counter&) = delete;
    ~sigpipe_counter() { ::sigaction(SIGPIPE, &old_, nullptr); }

    static volatile std::sig_atomic_t& count() {
        static volatile std::sig_atomic_t n = 0;
        return n;
    }

private:
    struct sigaction old_ {};
};

coro<void> send_all_then_eof(event_loop& loop, socket& s, const std::string& data) {
    co_await loop.sock_sendall(s, data);
    s.shutdown(SHUT_WR);
}

coro<std::string> recv_to_eof(event_loop& loop, socket& s) {
    std::string all;
    for (;;) {
        std::string chunk = co_await loop.sock_recv(s, 65536);
        if (chunk.empty()) {
            co_return all;
        }
        all += chunk;
    }
}

coro<std::string> recv_into_to_eof(event_loop& loop, socket& s) {
    std::string all;
    std::vector<std::byte> buffer(50000);
    for (;;) {
        std::size_t n = co_await loop.sock_recv_into(s, buffer);
        if (n == 0) {
            co_return all;
        }
        all.append(reinterpret_cast<const char*>(buffer.data()), n);
    }
}

coro<socket> accept_one(event_loop& loop, socket& listener, sock_address& peer) {
    auto [s, address] = co_await loop.sock_accept(listener);
    peer = address;
    co_return std::move(s);
}

// Both directions of a connected pair carry 1 MiB each, sender and receiver as tasks.
coro<void> exchange_mib(event_loop& loop, socket& x, socket& y) {
    const std::string forward = make_payload(1 << 20);
    std::string backward = forward;
    std::reverse(backward.begin(), backward.end());
    task<> send_xy = create_task(send_all_then_eof(loop, x, forward));
    task<> send_yx = create_task(send_all_then_eof(loop, y, backward));
    task<std::string> recv_y = create_task(recv_to_eof(loop, y));
    task<std::string> recv_x = create_task(recv_into_to_eof(loop, x));
    co_await send_xy;
    co_await send_yx;
    std::string at_y = co_await recv_y;
    std::string at_x = co_await recv_x;
    EXPECT_EQ(at_y.size(), forward.size());
    EXPECT_TRUE(at_y == forward) << "payload corrupted x -> y";
    EXPECT_EQ(at_x.size(), backward.size());
    EXPECT_TRUE(at_x == backward) << "payload corrupted y -> x";
}

coro<void> tcp_round_trip(event_loop& loop, int family, const char* host) {
    socket listener = socket::create(family);
    listener.bind(sock_address::from_ip(host, 0));
    listener.listen();
    sock_address address = listener.getsockname();
    EXPECT_NE(address.port(), 0);
    socket client = socket::create(family);
    sock_address peer;
    task<socket> accepting = create_task(accept_one(loop, listener, peer));
    co_await loop.sock_connect(client, address);
    socket server = co_await std::move(accepting);
    EXPECT_TRUE(server.is_open());
    EXPECT_EQ(peer.family(), family);
    EXPECT_EQ(peer.host(), host);
    EXPECT_TRUE(peer == client.getsockname());
    EXPECT_TRUE(client.getpeername() == address);
    EXPECT_NE(::fcntl(server.fileno(), F_GETFL) & O_NONBLOCK, 0) << "accepted socket blocks";
    co_await exchange_mib(loop, client, server);
}

// --- data transfer -----------------------------------------------------------------------

TEST_P(SocketOps, SocketPairMiBRoundTrip) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        co_await exchange_mib(loop(), a, b);
    }());
}

TEST_P(SocketOps, TcpIpv4MiBRoundTrip) {
    run(tcp_round_trip(loop(), AF_INET, "127.0.0.1"));
}

TEST_P(SocketOps, TcpIpv6MiBRoundTrip) {
    if (!ipv6_available()) {
        GTEST_SKIP() << "IPv6 loopback is not available";
    }
    run(tcp_round_trip(loop(), AF_INET6, "::1"));
}

TEST_P(SocketOps, UnixStreamAcceptConnect) {
    std::string path = "/tmp/coreloop-test-" + std::to_string(::getpid()) + "-" +
                       std::string(to_string(GetParam())) + ".sock";
    ::unlink(path.c_str());
    run([this](std::string p) -> coro<void> {
        socket listener = socket::create(AF_UNIX);
        listener.bind(sock_address::from_unix_path(p));
        listener.listen();
        socket client = socket::create(AF_UNIX);
        sock_address peer;
        task<socket> accepting = create_task(accept_one(loop(), listener, peer));
        co_await loop().sock_connect(client, sock_address::from_unix_path(p));
        socket server = co_await std::move(accepting);
        co_await loop().sock_sendall(client, "over unix");
        EXPECT_EQ(co_await loop().sock_recv(server, 100), "over unix");
    }(path));
    ::unlink(path.c_str());
}

TEST_P(SocketOps, RecvReturnsWhatIsThereUpToN) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        co_await loop().sock_sendall(a, "abcdef");
        EXPECT_EQ(co_await loop().sock_recv(b, 4), "abcd");
        EXPECT_EQ(co_await loop().sock_recv(b, 100), "ef");
    }());
}

TEST_P(SocketOps, RecvIntoFillsTheBuffer) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        co_await loop().sock_sendall(a, "hello");
        std::byte buffer[16] = {};
        std::size_t n = co_await loop().sock_recv_into(b, buffer);
        EXPECT_EQ(n, 5U);
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer), n), "hello");
    }());
}

TEST_P(SocketOps, RecvWaitsForData) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        task<std::string> receiving = create_task(loop().sock_recv(b, 100));
        co_await sleep(1ms);
        EXPECT_FALSE(receiving.done());
        co_await loop().sock_sendall(a, "late");
        EXPECT_EQ(co_await receiving, "late");
    }());
}

TEST_P(SocketOps, EofGivesAnEmptyRead) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        co_await loop().sock_sendall(a, "last");
        a.close();
        EXPECT_EQ(co_await loop().sock_recv(b, 100), "last");
        EXPECT_EQ(co_await loop().sock_recv(b, 100), "");
        std::byte buffer[8];
        EXPECT_EQ(co_await loop().sock_recv_into(b, buffer), 0U);
    }());
}

TEST_P(SocketOps, EofWhileWaiting) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        task<std::string> receiving = create_task(loop().sock_recv(b, 100));
        co_await sleep(0s);
        a.shutdown(SHUT_WR);
        EXPECT_EQ(co_await receiving, "");
    }());
}

// --- errors ------------------------------------------------------------------------------

TEST_P(SocketOps, ConnectToAClosedPortIsRefused) {
    run([this]() -> coro<void> {
        // Bound but not listening: the port answers with a reset and stays ours.
        socket holder = socket::create(AF_INET);
        holder.bind(sock_address::from_ip("127.0.0.1", 0));
        sock_address address = holder.getsockname();
        socket client = socket::create(AF_INET);
        try {
            co_await loop().sock_connect(client, address);
            ADD_FAILURE() << "connect succeeded";
        } catch (const connection_refused_error& e) {
            EXPECT_EQ(e.code().value(), ECONNREFUSED);
        }
    }());
}

TEST_P(SocketOps, SendToAClosedUnixPeerIsABrokenPipe) {
    sigpipe_counter sigpipes;
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        b.close();
        try {
            co_await loop().sock_sendall(a, "nobody reads this");
            ADD_FAILURE() << "send succeeded";
        } catch (const broken_pipe_error& e) {
            EXPECT_EQ(e.code().value(), EPIPE);
        } catch (const connection_reset_error&) {
        }
    }());
    EXPECT_EQ(sigpipe_counter::count(), 0) << "SIGPIPE was raised";
}

TEST_P(SocketOps, SendToAClosedTcpPeerFailsWithoutSigpipe) {
    sigpipe_counter sigpipes;
    run([this]() -> coro<void> {
        socket listener = socket::create(AF_INET);
        listener.bind(sock_address::from_ip("127.0.0.1", 0));
        listener.listen();
        socket client = socket::create(AF_INET);
        sock_address peer;
        task<socket> accepting = create_task(accept_one(loop(), listener, peer));
        co_await loop().sock_connect(client, listener.getsockname());
        {
            socket server = co_await std::move(accepting); // closed at once, nothing read
        }
        const std::string chunk(4096, 'x');
        bool failed = false;
        for (int i = 0; i < 200 && !failed; ++i) {
            try {
                co_await loop().sock_sendall(client, chunk);
                co_await sleep(1ms); // let the peer's reset arrive
            } catch (const broken_pipe_error&) {
                failed = true;
            } catch (const connection_reset_error&) {
                failed = true;
            }
        }
        EXPECT_TRUE(failed) << "sending to a closed peer never failed";
    }());
    EXPECT_EQ(sigpipe_counter::count(), 0) << "SIGPIPE was raised";
}

TEST_P(SocketOps, ThrowIoErrorMapsErrno) {
    auto thrown = [](int err) -> std::exception_ptr {
        try {
            throw_io_error(err, "op");
        } catch (...) {
            return std::current_exception();
        }
    };
    EXPECT_THROW(std::rethrow_exception(thrown(ECONNRESET)), connection_reset_error);
    EXPECT_THROW(std::rethrow_exception(thrown(EPIPE)), broken_pipe_error);
    EXPECT_THROW(std::rethrow_exception(thrown(ESHUTDOWN)), broken_pipe_error);
    EXPECT_THROW(std::rethrow_exception(thrown(ECONNREFUSED)), connection_refused_error);
    try {
        std::rethrow_exception(thrown(EBADF));
    } catch (const io_error& e) {
        EXPECT_EQ(e.code().value(), EBADF);
        EXPECT_EQ(dynamic_cast<const connection_reset_error*>(&e), nullptr);
    }
}

// --- cancellation ----------------------------------------------------------------------------

coro<std::string> recv_once(event_loop& loop, socket& s, std::size_t n) {
    co_return co_await loop.sock_recv(s, n);
}

TEST_P(SocketOps, CancelledRecvLosesNoBytes) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        for (int round = 0; round < 20; ++round) {
            task<std::string> receiving = create_task(recv_once(loop(), b, 100));
            co_await sleep(0s);
            co_await sleep(0s);
            EXPECT_TRUE(receiving.cancel());
            EXPECT_THROW(co_await receiving, cancelled_error);
            std::string payload = "round " + std::to_string(round);
            co_await loop().sock_sendall(a, payload);
            EXPECT_EQ(co_await loop().sock_recv(b, 100), payload);
        }
    }());
}

struct race_record {
    std::string received;
    bool cancelled_at_recv = false;
    bool cancelled_at_next = false;
};

coro<void> recv_then_yield(event_loop& loop, socket& s, race_record& rec) {
    try {
        rec.received = co_await loop.sock_recv(s, 100);
    } catch (const cancelled_error&) {
        rec.cancelled_at_recv = true;
        throw;
    }
    try {
        co_await sleep(0s);
    } catch (const cancelled_error&) {
        rec.cancelled_at_next = true;
        throw;
    }
}

TEST_P(SocketOps, CancelRacingDataAlreadyReceivedDeliversTheDataFirst) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        race_record rec;
        task<> receiving = create_task(recv_then_yield(loop(), b, rec));
        co_await sleep(0s);
        co_await sleep(0s);
        co_await loop().sock_sendall(a, "racing data");
        // Yield until the kernel has handed the bytes to the pending receive. This task was
        // made ready before the receiver's wake-up, so it runs first in that iteration and
        // cancels a receive that has already completed.
        for (int i = 0; i < 100 && bytes_readable(b) > 0; ++i) {
            co_await sleep(0s);
        }
        EXPECT_EQ(bytes_readable(b), 0);
        EXPECT_FALSE(receiving.done());
        receiving.cancel();
        EXPECT_THROW(co_await receiving, cancelled_error);
        EXPECT_FALSE(rec.cancelled_at_recv) << "the received bytes were dropped";
        EXPECT_EQ(rec.received, "racing data");
        EXPECT_TRUE(rec.cancelled_at_next);
    }());
}

TEST_P(SocketOps, PendingRecvAtLoopCloseIsCancelledCleanly) {
    auto [a, b] = socket::pair();
    task<std::string> kept = loop().create_task(recv_once(loop(), a, 100), "kept");
    loop().create_task(recv_once(loop(), b, 100), "dropped");
    loop().run_until_complete([]() -> coro<void> {
        co_await sleep(0s);
        co_await sleep(0s);
    }());
    EXPECT_FALSE(kept.done());
    loop().close();
    EXPECT_TRUE(kept.cancelled());
    EXPECT_EQ(reports.size(), 2U);
    for (const auto& r : reports) {
        EXPECT_EQ(r.message, "Task was destroyed but it is pending!");
    }
    reports.clear();
    // Nothing was consumed: the sockets still work without a loop.
    EXPECT_EQ(::send(b.fileno(), "z", 1, MSG_NOSIGNAL), 1);
    char c = 0;
    EXPECT_EQ(::recv(a.fileno(), &c, 1, 0), 1);
    EXPECT_EQ(c, 'z');
}

coro<void> accept_forever(event_loop& loop, socket& listener) {
    [[maybe_unused]] auto conn = co_await loop.sock_accept(listener);
    ADD_FAILURE() << "accepted a connection nobody made";
}

TEST_P(SocketOps, CancelAccept) {
    run([this]() -> coro<void> {
        socket listener = socket::create(AF_INET);
        listener.bind(sock_address::from_ip("127.0.0.1", 0));
        listener.listen();
        task<> accepting = create_task(accept_forever(loop(), listener));
        co_await sleep(0s);
        co_await sleep(0s);
        accepting.cancel();
        EXPECT_THROW(co_await accepting, cancelled_error);
        // The listener still works afterwards.
        socket client = socket::create(AF_INET);
        sock_address peer;
        task<socket> again = create_task(accept_one(loop(), listener, peer));
        co_await loop().sock_connect(client, listener.getsockname());
        socket server = co_await std::move(again);
        EXPECT_TRUE(server.is_open());
    }());
}

// --- add_reader / add_writer -------------------------------------------------------------------

TEST_P(SocketOps, ReaderIsCalledWhileReadableLevelTriggered) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        int calls = 0;
        loop().add_reader(b.fileno(), [&calls] { ++calls; });
        for (int i = 0; i < 5; ++i) {
            co_await sleep(0s);
        }
        EXPECT_EQ(calls, 0) << "called with nothing to read";
        co_await loop().sock_sendall(a, "x");
        for (int i = 0; i < 100 && calls == 0; ++i) {
            co_await sleep(0s);
        }
        EXPECT_GE(calls, 1);
        // The byte was not consumed: the reader is called again on later iterations.
        int after_first = calls;
        for (int i = 0; i < 100 && calls < after_first + 2; ++i) {
            co_await sleep(0s);
        }
        EXPECT_GE(calls, after_first + 2);
        EXPECT_TRUE(loop().remove_reader(b.fileno()));
        EXPECT_FALSE(loop().remove_reader(b.fileno()));
        int after_remove = calls;
        for (int i = 0; i < 5; ++i) {
            co_await sleep(0s);
        }
        EXPECT_EQ(calls, after_remove) << "called after remove_reader";
    }());
}

TEST_P(SocketOps, ReaderThatConsumesIsCalledOncePerArrival) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        std::string got;
        int calls = 0;
        int fd = b.fileno();
        loop().add_reader(fd, [&got, &calls, fd] {
            ++calls;
            char buf[64];
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                got.append(buf, static_cast<std::size_t>(n));
            }
        });
        co_await loop().sock_sendall(a, "one");
        for (int i = 0; i < 100 && got.size() < 3; ++i) {
            co_await sleep(0s);
        }
        EXPECT_EQ(got, "one");
        int settled = calls;
        for (int i = 0; i < 5; ++i) {
            co_await sleep(0s);
        }
        EXPECT_EQ(calls, settled) << "called again with nothing left to read";
        co_await loop().sock_sendall(a, "two");
        for (int i = 0; i < 100 && got.size() < 6; ++i) {
            co_await sleep(0s);
        }
        EXPECT_EQ(got, "onetwo");
        EXPECT_TRUE(loop().remove_reader(fd));
    }());
}

TEST_P(SocketOps, AddReaderReplacesTheEarlierCallback) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        int first = 0;
        int second = 0;
        loop().add_reader(b.fileno(), [&first] { ++first; });
        loop().add_reader(b.fileno(), [&second] { ++second; });
        co_await loop().sock_sendall(a, "x");
        for (int i = 0; i < 100 && second == 0; ++i) {
            co_await sleep(0s);
        }
        EXPECT_EQ(first, 0);
        EXPECT_GE(second, 1);
        EXPECT_TRUE(loop().remove_reader(b.fileno()));
    }());
}

TEST_P(SocketOps, ReaderMayRemoveItself) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        int calls = 0;
        bool removed = false;
        int fd = b.fileno();
        loop().add_reader(fd, [this, &calls, &removed, fd] {
            ++calls;
            removed = loop().remove_reader(fd);
        });
        co_await loop().sock_sendall(a, "x");
        for (int i = 0; i < 100 && calls == 0; ++i) {
            co_await sleep(0s);
        }
        for (int i = 0; i < 5; ++i) {
            co_await sleep(0s);
        }
        EXPECT_EQ(calls, 1);
        EXPECT_TRUE(removed);
        EXPECT_FALSE(loop().remove_reader(fd));
    }());
}

TEST_P(SocketOps, WriterIsCalledWhenWritable) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        int calls = 0;
        bool removed = false;
        int fd = a.fileno();
        loop().add_writer(fd, [this, &calls, &removed, fd] {
            ++calls;
            removed = loop().remove_writer(fd);
        });
        for (int i = 0; i < 100 && calls == 0; ++i) {
            co_await sleep(0s);
        }
        for (int i = 0; i < 3; ++i) {
            co_await sleep(0s);
        }
        EXPECT_EQ(calls, 1);
        EXPECT_TRUE(removed);
        EXPECT_FALSE(loop().remove_writer(fd));
    }());
}

TEST_P(SocketOps, WriterWaitsForSpace) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        // Fill a's send buffer.
        const std::string chunk(65536, 'f');
        std::size_t filled = 0;
        while (::send(a.fileno(), chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) {
            filled += chunk.size();
        }
        EXPECT_GT(filled, 0U);
        int calls = 0;
        loop().add_writer(a.fileno(), [&calls] { ++calls; });
        for (int i = 0; i < 5; ++i) {
            co_await sleep(0s);
        }
        EXPECT_EQ(calls, 0) << "called while the buffer is full";
        std::vector<char> sink(1 << 20);
        while (::recv(b.fileno(), sink.data(), sink.size(), 0) > 0) {
        }
        for (int i = 0; i < 100 && calls == 0; ++i) {
            co_await sleep(0s);
        }
        EXPECT_GE(calls, 1);
        EXPECT_TRUE(loop().remove_writer(a.fileno()));
    }());
}

TEST_P(SocketOps, RemoveWithoutAddReturnsFalse) {
    auto [a, b] = socket::pair();
    EXPECT_FALSE(loop().remove_reader(a.fileno()));
    EXPECT_FALSE(loop().remove_writer(a.fileno()));
}

TEST_P(SocketOps, ThrowingReaderIsReported) {
    run([this]() -> coro<void> {
        auto [a, b] = socket::pair();
        int fd = b.fileno();
        loop().add_reader(fd, [this, fd] {
            loop().remove_reader(fd);
            throw std::runtime_error("reader failed");
        });
        co_await loop().sock_sendall(a, "x");
        for (int i = 0; i < 100 && reports.empty(); ++i) {
            co_await sleep(0s);
        }
    }());
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].message, "Exception in callback");
    reports.clear();
}

CORELOOP_ALL_BACKENDS(SocketOps);

} // namespace
} // namespace coreloop
