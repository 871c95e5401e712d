// The io_uring reactor driven directly through the reactor interface: op round trips,
// cancellation, wake-ups, timeouts, in-flight accounting and the setup fallback.
#include "reactor.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "uring/uring_reactor.hpp"
#include <coreloop/log.hpp>

namespace coreloop::test {
namespace {

using namespace std::chrono_literals;
using detail::io_op;
using detail::op_code;
using detail::reactor;

/// An io_op that records every completion it receives, and optionally runs a hook.
struct recorded_op : io_op {
    int calls = 0;
    int res = 0;
    std::uint32_t flags = 0;
    std::function<void()> then;

    recorded_op() { on_complete = &record; }

    static void record(io_op& op, int res, std::uint32_t flags) noexcept {
        auto& self = static_cast<recorded_op&>(op);
        ++self.calls;
        self.res = res;
        self.flags = flags;
        if (self.then) {
            self.then();
        }
    }
};

std::size_t open_fd_count() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}

/// Polls until done() holds or five seconds pass; returns done().
template <typename Pred>
bool poll_until(reactor& r, Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        r.poll(10ms);
    }
    return done();
}

/// A connected AF_UNIX stream pair, non-blocking as the engine's sockets are.
struct socket_pair {
    int fds[2] = {-1, -1};

    socket_pair() {
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    }
    ~socket_pair() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    socket_pair(const socket_pair&) = delete;
    socket_pair& operator=(const socket_pair&) = delete;
};

void set_recv(recorded_op& op, int fd, char* buf, std::size_t len) {
    op.code = op_code::recv;
    op.fd = fd;
    op.buf = buf;
    op.len = len;
}

void set_send(recorded_op& op, int fd, const char* text) {
    op.code = op_code::send;
    op.fd = fd;
    op.buf = const_cast<char*>(text);
    op.len = std::strlen(text);
}

void set_poll(recorded_op& op, int fd, std::uint32_t events) {
    op.code = op_code::poll;
    op.fd = fd;
    op.poll_events = events;
}

class UringReactor : public ::testing::Test {
protected:
    void SetUp() override {
        fds_before_ = open_fd_count();
        try {
            reactor_ = detail::make_uring_reactor();
        } catch (const std::system_error& e) {
            GTEST_SKIP() << "io_uring unusable here: " << e.what();
        }
    }

    void TearDown() override {
        if (reactor_) {
            // A few idle polls: nothing may be delivered twice or late.
            reactor_->poll(0ns);
            EXPECT_EQ(reactor_->in_flight(), 0U);
            reactor_.reset();
        }
        EXPECT_EQ(open_fd_count(), fds_before_);
    }

    std::unique_ptr<reactor> reactor_;

private:
    std::size_t fds_before_ = 0;
};

TEST_F(UringReactor, ReportsNameAndSetupFlags) {
    EXPECT_EQ(reactor_->name(), "io_uring");
    const auto& ring = dynamic_cast<const detail::uring_reactor&>(*reactor_);
    RecordProperty("setup_flags", std::to_string(ring.setup_flags()));
    std::printf("io_uring setup flags accepted: 0x%x\n", ring.setup_flags());
}

TEST_F(UringReactor, SocketpairSendThenRecvRoundTrip) {
    socket_pair sp;
    recorded_op send_op;
    recorded_op recv_op;
    char buf[16] = {};
    set_send(send_op, sp.fds[0], "hello");
    set_recv(recv_op, sp.fds[1], buf, sizeof buf);
    reactor_->submit(send_op);
    reactor_->submit(recv_op);
    EXPECT_EQ(reactor_->in_flight(), 2U);
    ASSERT_TRUE(poll_until(*reactor_, [&] { return send_op.calls > 0 && recv_op.calls > 0; }));
    EXPECT_EQ(send_op.res, 5);
    EXPECT_EQ(recv_op.res, 5);
    EXPECT_EQ(std::string(buf, 5), "hello");
    EXPECT_EQ(send_op.flags, 0U);
    EXPECT_EQ(reactor_->in_flight(), 0U);
}

TEST_F(UringReactor, SendmsgGathersIovecs) {
    socket_pair sp;
    char first[] = "ab";
    char second[] = "cde";
    ::iovec iov[2] = {{first, 2}, {second, 3}};
    ::msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    recorded_op send_op;
    send_op.code = op_code::sendmsg;
    send_op.fd = sp.fds[0];
    send_op.msg = &msg;
    recorded_op recv_op;
    char buf[16] = {};
    set_recv(recv_op, sp.fds[1], buf, sizeof buf);
    reactor_->submit(send_op);
    ASSERT_TRUE(poll_until(*reactor_, [&] { return send_op.calls > 0; }));
    reactor_->submit(recv_op);
    ASSERT_TRUE(poll_until(*reactor_, [&] { return recv_op.calls > 0; }));
    EXPECT_EQ(send_op.res, 5);
    ASSERT_EQ(recv_op.res, 5);
    EXPECT_EQ(std::string(buf, 5), "abcde");
}

TEST_F(UringReactor, ReadAndWriteOverPipe) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    recorded_op write_op;
    write_op.code = op_code::write;
    write_op.fd = p[1];
    char text[] = "abc";
    write_op.buf = text;
    write_op.len = 3;
    recorded_op read_op;
    char buf[16] = {};
    read_op.code = op_code::read;
    read_op.fd = p[0];
    read_op.buf = buf;
    read_op.len = sizeof buf;
    reactor_->submit(read_op);
    reactor_->submit(write_op);
    ASSERT_TRUE(poll_until(*reactor_, [&] { return read_op.calls > 0 && write_op.calls > 0; }));
    EXPECT_EQ(write_op.res, 3);
    ASSERT_EQ(read_op.res, 3);
    EXPECT_EQ(std::string(buf, 3), "abc");
    ::close(p[0]);
    ::close(p[1]);
}

TEST_F(UringReactor, AcceptAndConnectOverLoopback) {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    ::sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::socklen_t len = sizeof addr;
    auto* sa = reinterpret_cast<::sockaddr*>(&addr);
    ASSERT_EQ(::bind(listener, sa, len), 0);
    ASSERT_EQ(::listen(listener, 8), 0);
    ASSERT_EQ(::getsockname(listener, sa, &len), 0);
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(client, 0);

    ::sockaddr_in peer{};
    ::socklen_t peer_len = sizeof peer;
    recorded_op accept_op;
    accept_op.code = op_code::accept;
    accept_op.fd = listener;
    accept_op.addr = reinterpret_cast<::sockaddr*>(&peer);
    accept_op.addr_len_out = &peer_len;
    recorded_op connect_op;
    connect_op.code = op_code::connect;
    connect_op.fd = client;
    connect_op.addr = sa;
    connect_op.addr_len = len;
    reactor_->submit(accept_op);
    reactor_->submit(connect_op);
    ASSERT_TRUE(poll_until(*reactor_, [&] { return accept_op.calls > 0 && connect_op.calls > 0; }));
    EXPECT_EQ(connect_op.res, 0);
    ASSERT_GE(accept_op.res, 0) << std::strerror(-accept_op.res);
    EXPECT_EQ(peer.sin_family, AF_INET);
    EXPECT_NE(::fcntl(accept_op.res, F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(::fcntl(accept_op.res, F_GETFD) & FD_CLOEXEC, 0);
    ::close(accept_op.res);
    ::close(client);
    ::close(listener);
}

TEST_F(UringReactor, PollReportsReadiness) {
    socket_pair sp;
    recorded_op readable;
    recorded_op writable;
    set_poll(readable, sp.fds[1], POLLIN);
    set_poll(writable, sp.fds[0], POLLOUT);
    reactor_->submit(readable);
    reactor_->submit(writable);
    ASSERT_TRUE(poll_until(*reactor_, [&] { return writable.calls > 0; }));
    EXPECT_NE(writable.res & POLLOUT, 0);
    EXPECT_EQ(readable.calls, 0);
    ASSERT_EQ(::write(sp.fds[0], "x", 1), 1);
    ASSERT_TRUE(poll_until(*reactor_, [&] { return readable.calls > 0; }));
    EXPECT_NE(readable.res & POLLIN, 0);
    EXPECT_EQ(readable.calls, 1);
}

TEST_F(UringReactor, CancelPendingRecvDeliversEcanceled) {
    socket_pair sp;
    recorded_op op;
    char buf[8];
    set_recv(op, sp.fds[1], buf, sizeof buf);
    reactor_->submit(op);
    reactor_->poll(0ns); // now it waits in the kernel
    ASSERT_EQ(op.calls, 0);
    reactor_->cancel(op);
    EXPECT_EQ(op.calls, 0); // never from inside cancel()
    ASSERT_TRUE(poll_until(*reactor_, [&] { return op.calls > 0; }));
    EXPECT_EQ(op.res, -ECANCELED);
    // Data arriving afterwards is not delivered to the cancelled op.
    ASSERT_EQ(::write(sp.fds[0], "x", 1), 1);
    reactor_->poll(20ms);
    EXPECT_EQ(op.calls, 1);
    EXPECT_EQ(reactor_->in_flight(), 0U);
}

TEST_F(UringReactor, CancelBeforeSubmissionDeliversEcanceled) {
    socket_pair sp;
    recorded_op op;
    char buf[8];
    set_recv(op, sp.fds[1], buf, sizeof buf);
    reactor_->submit(op);
    reactor_->cancel(op); // its SQE is still queued, the cancel goes right behind it
    ASSERT_TRUE(poll_until(*reactor_, [&] { return op.calls > 0; }));
    EXPECT_EQ(op.res, -ECANCELED);
    reactor_->poll(0ns);
    EXPECT_EQ(op.calls, 1);
}

TEST_F(UringReactor, CancelPendingPollDeliversEcanceled) {
    socket_pair sp;
    recorded_op op;
    set_poll(op, sp.fds[1], POLLIN);
    reactor_->submit(op);
    reactor_->poll(0ns);
    reactor_->cancel(op);
    ASSERT_TRUE(poll_until(*reactor_, [&] { return op.calls > 0; }));
    EXPECT_EQ(op.res, -ECANCELED);
}

/// One round of a cancel racing a recv whose byte arrives at a point chosen by `variant`.
void race_cancel_with_data(reactor& r, socket_pair& sp, int variant) {
    recorded_op op;
    char buf[1] = {};
    set_recv(op, sp.fds[1], buf, 1);
    if (variant == 0) {
        ASSERT_EQ(::write(sp.fds[0], "x", 1), 1);
    }
    r.submit(op);
    if (variant != 0) {
        r.poll(0ns);
    }
    if (variant == 1) {
        ASSERT_EQ(::write(sp.fds[0], "x", 1), 1);
    }
    r.cancel(op);
    if (variant == 2) {
        ASSERT_EQ(::write(sp.fds[0], "x", 1), 1);
    }
    ASSERT_TRUE(poll_until(r, [&] { return op.calls > 0; }));
    r.poll(0ns);
    ASSERT_EQ(op.calls, 1);
    if (op.res == 1) {
        EXPECT_EQ(buf[0], 'x');
    } else {
        ASSERT_EQ(op.res, -ECANCELED);
        char drain = 0; // the byte is still in the socket; the next round needs it empty
        ASSERT_EQ(::recv(sp.fds[1], &drain, 1, MSG_DONTWAIT), 1);
    }
}

TEST_F(UringReactor, CancelRacingCompletionDeliversExactlyOnce) {
    socket_pair sp;
    for (int round = 0; round < 300; ++round) {
        race_cancel_with_data(*reactor_, sp, round % 3);
        if (HasFatalFailure()) {
            return;
        }
    }
    EXPECT_EQ(reactor_->in_flight(), 0U);
}

TEST_F(UringReactor, WakeFromAnotherThreadUnblocksPoll) {
    reactor_->poll(0ns); // the wake read is armed in the kernel
    std::thread waker([this] {
        std::this_thread::sleep_for(20ms);
        reactor_->wake();
    });
    reactor_->poll(std::nullopt); // returns only because of the wake
    waker.join();
    SUCCEED();
}

TEST_F(UringReactor, WakeBeforePollMakesNextPollReturnOnce) {
    for (int i = 0; i < 100; ++i) {
        reactor_->wake(); // coalesced into one eventfd write
    }
    reactor_->poll(std::nullopt);
    // The wake was consumed: the next poll waits out its timeout instead of returning early.
    const auto start = std::chrono::steady_clock::now();
    reactor_->poll(20ms);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 10ms);
}

TEST_F(UringReactor, WakeIsNeverLostUnderRepeatedWakes) {
    constexpr int rounds = 2000;
    // seq_cst: the test checks the reactor's ordering, not its own.
    std::atomic<int> posted{0};
    std::atomic<int> seen{0};
    std::thread waker([&] {
        for (int i = 1; i <= rounds; ++i) {
            posted.store(i);
            reactor_->wake();
            while (seen.load() < i) {
                std::this_thread::yield();
            }
        }
    });
    while (seen.load() < rounds) {
        reactor_->poll(std::nullopt); // hangs here if a wake is ever lost
        seen.store(posted.load());
    }
    waker.join();
}

TEST_F(UringReactor, PollTimeoutReturnsWithNothingPending) {
    const auto start = std::chrono::steady_clock::now();
    reactor_->poll(30ms);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, 15ms);
    EXPECT_LT(elapsed, 2s);
    const auto again = std::chrono::steady_clock::now();
    reactor_->poll(0ns);
    EXPECT_LT(std::chrono::steady_clock::now() - again, 1s);
}

TEST_F(UringReactor, InFlightCountsUntilFinalCompletion) {
    socket_pair sp;
    std::vector<recorded_op> ops(3);
    char buf[3][4];
    for (std::size_t i = 0; i < ops.size(); ++i) {
        set_recv(ops[i], sp.fds[1], buf[i], sizeof buf[i]);
        reactor_->submit(ops[i]);
    }
    EXPECT_EQ(reactor_->in_flight(), 3U);
    reactor_->poll(0ns);
    EXPECT_EQ(reactor_->in_flight(), 3U);
    for (auto& op : ops) {
        reactor_->cancel(op);
    }
    EXPECT_EQ(reactor_->in_flight(), 3U); // cancel only asks
    ASSERT_TRUE(poll_until(*reactor_, [&] { return reactor_->in_flight() == 0; }));
    for (const auto& op : ops) {
        EXPECT_EQ(op.calls, 1);
        EXPECT_EQ(op.res, -ECANCELED);
    }
}

TEST_F(UringReactor, CallbackMaySubmitAndCancelReentrantly) {
    socket_pair sp;
    socket_pair other;
    recorded_op trigger;
    recorded_op follow_up;
    recorded_op victim;
    char buf[4];
    set_poll(trigger, sp.fds[0], POLLOUT);
    set_send(follow_up, sp.fds[0], "hi");
    set_recv(victim, other.fds[1], buf, sizeof buf);
    reactor_->submit(victim);
    reactor_->poll(0ns);
    trigger.then = [&] {
        reactor_->submit(follow_up);
        reactor_->cancel(victim);
    };
    reactor_->submit(trigger);
    ASSERT_TRUE(poll_until(*reactor_, [&] { return follow_up.calls > 0 && victim.calls > 0; }));
    EXPECT_EQ(trigger.calls, 1);
    EXPECT_EQ(follow_up.res, 2);
    EXPECT_EQ(victim.res, -ECANCELED);
}

TEST_F(UringReactor, ManyOpsBeyondRingCapacityCompleteExactlyOnce) {
    socket_pair sp;
    // Far more than the SQ (256) and the CQ (1024) hold: exercises the early flush and the
    // kernel's CQ overflow list.
    std::vector<recorded_op> ops(3000);
    for (auto& op : ops) {
        set_poll(op, sp.fds[0], POLLOUT);
        reactor_->submit(op);
    }
    EXPECT_EQ(reactor_->in_flight(), ops.size());
    ASSERT_TRUE(poll_until(*reactor_, [&] { return reactor_->in_flight() == 0; }));
    for (const auto& op : ops) {
        ASSERT_EQ(op.calls, 1);
        ASSERT_NE(op.res & POLLOUT, 0);
    }
}

TEST_F(UringReactor, DestructorWithOpsInFlightReturnsWithoutDelivering) {
    socket_pair sp;
    recorded_op armed;
    recorded_op queued;
    char buf[2][4];
    set_recv(armed, sp.fds[1], buf[0], sizeof buf[0]);
    set_recv(queued, sp.fds[1], buf[1], sizeof buf[1]);
    auto doomed = detail::make_uring_reactor();
    doomed->submit(armed);
    doomed->poll(0ns);
    doomed->submit(queued);
    const auto start = std::chrono::steady_clock::now();
    doomed.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    EXPECT_EQ(armed.calls, 0);
    EXPECT_EQ(queued.calls, 0);
}

/// Restores the setup hook, CORELOOP_BACKEND and the log sink however the test ends.
struct fallback_guard {
    std::optional<std::string> backend_env;
    log_sink old_sink;

    fallback_guard() {
        if (const char* value = std::getenv("CORELOOP_BACKEND")) {
            backend_env = value;
        }
        ::unsetenv("CORELOOP_BACKEND");
        old_sink = set_log_sink([](log_level, std::string_view) {});
    }
    ~fallback_guard() {
        detail::simulate_uring_setup_failure(0);
        if (backend_env) {
            ::setenv("CORELOOP_BACKEND", backend_env->c_str(), 1);
        }
        set_log_sink(std::move(old_sink));
    }
};

TEST_F(UringReactor, SimulatedSetupFailureThrowsEpermAndAutoFallsBackToEpoll) {
    fallback_guard guard;
    detail::simulate_uring_setup_failure(EPERM);
    try {
        auto never = detail::make_uring_reactor();
        FAIL() << "make_uring_reactor succeeded despite the simulated failure";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::error_code(EPERM, std::system_category()));
    }
    EXPECT_THROW(detail::make_reactor(backend::io_uring), std::system_error);
    auto fallback = detail::make_reactor(backend::auto_);
    ASSERT_NE(fallback, nullptr);
    EXPECT_EQ(fallback->name(), "epoll");
    fallback.reset();
    detail::simulate_uring_setup_failure(0);
    EXPECT_EQ(detail::make_reactor(backend::auto_)->name(), "io_uring");
}

} // namespace
} // namespace coreloop::test
