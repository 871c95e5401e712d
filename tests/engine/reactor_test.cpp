// Contract tests of the reactor interface (engine/src/reactor.hpp), run on every backend: the
// loop must not be able to tell io_uring and epoll apart except by speed.
#include "reactor.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/reactor_fixture.hpp"

namespace coreloop::test {
namespace {

using namespace std::chrono_literals;
using detail::io_op;
using detail::op_code;

TEST_P(ReactorContract, NameMatchesBackend) {
    EXPECT_EQ(reactor_->name(), to_string(GetParam()));
}

TEST_P(ReactorContract, SendRecvRoundTrip) {
    auto [a, b] = socket_pair();
    char msg[] = "hello";
    char buf[16] = {};
    recorded_op send = buffer_op(op_code::send, a, msg, 5);
    reactor_->submit(send);
    ASSERT_TRUE(run_until([&] { return send.done(); }));
    EXPECT_EQ(send.res, 5);
    recorded_op recv = buffer_op(op_code::recv, b, buf, sizeof buf);
    reactor_->submit(recv);
    ASSERT_TRUE(run_until([&] { return recv.done(); }));
    ASSERT_EQ(recv.res, 5);
    EXPECT_EQ(std::string(buf, 5), "hello");
    EXPECT_EQ(send.finals + recv.finals, 2);
}

TEST_P(ReactorContract, CompletionsComeOnlyFromPoll) {
    auto [a, b] = socket_pair();
    ASSERT_EQ(::write(a, "x", 1), 1);
    char buf[4];
    recorded_op recv = buffer_op(op_code::recv, b, buf, sizeof buf);
    reactor_->submit(recv);
    EXPECT_EQ(recv.finals, 0) << "completed inside submit()";
    reactor_->cancel(recv);
    EXPECT_EQ(recv.finals, 0) << "completed inside cancel()";
    ASSERT_TRUE(run_until([&] { return recv.done(); }));
    EXPECT_TRUE(recv.res == 1 || recv.res == -ECANCELED) << recv.res;
}

TEST_P(ReactorContract, RecvWaitsForData) {
    auto [a, b] = socket_pair();
    char buf[16];
    recorded_op recv = buffer_op(op_code::recv, b, buf, sizeof buf);
    reactor_->submit(recv);
    spin();
    EXPECT_FALSE(recv.done());
    EXPECT_EQ(reactor_->in_flight(), 1U);
    ASSERT_EQ(::write(a, "late", 4), 4);
    ASSERT_TRUE(run_until([&] { return recv.done(); }));
    EXPECT_EQ(recv.res, 4);
    EXPECT_EQ(std::string(buf, 4), "late");
}

TEST_P(ReactorContract, LargeTransferArrivesIntact) {
    auto [a, b] = socket_pair();
    constexpr std::size_t total = 1 << 20;
    std::vector<unsigned char> out(total);
    std::vector<unsigned char> in(total);
    for (std::size_t i = 0; i < total; ++i) {
        out[i] = static_cast<unsigned char>(i * 7 + i / 251);
    }
    std::size_t sent = 0;
    std::size_t received = 0;
    recorded_op send = buffer_op(op_code::send, a, nullptr, 0);
    recorded_op recv = buffer_op(op_code::recv, b, nullptr, 0);
    bool send_busy = false;
    bool recv_busy = false;
    int error = 0;
    auto step = [&] {
        if (send_busy && send.done()) {
            error = send.res <= 0 ? send.res : error;
            sent += static_cast<std::size_t>(std::max(send.res, 0));
            send_busy = false;
        }
        if (recv_busy && recv.done()) {
            error = recv.res <= 0 ? recv.res : error;
            received += static_cast<std::size_t>(std::max(recv.res, 0));
            recv_busy = false;
        }
        if (error != 0) {
            return !send_busy && !recv_busy; // stop once nothing is in flight
        }
        if (!send_busy && sent < total) {
            send = buffer_op(op_code::send, a, out.data() + sent, total - sent);
            reactor_->submit(send);
            send_busy = true;
        }
        if (!recv_busy && received < total) {
            recv = buffer_op(op_code::recv, b, in.data() + received, total - received);
            reactor_->submit(recv);
            recv_busy = true;
        }
        return received == total && !send_busy;
    };
    ASSERT_TRUE(run_until(step));
    ASSERT_EQ(error, 0) << "an op failed or hit EOF";
    EXPECT_EQ(sent, total);
    EXPECT_TRUE(in == out) << "payload corrupted";
}

TEST_P(ReactorContract, AcceptAndConnectOverLoopback) {
    auto [listener, port] = listen_on_loopback();
    own(listener);
    int client = own(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in peer{};
    socklen_t peer_len = sizeof peer;
    recorded_op accept(op_code::accept, listener);
    accept.addr = as_sockaddr(peer);
    accept.addr_len_out = &peer_len;
    sockaddr_in target = loopback(port);
    recorded_op connect(op_code::connect, client);
    connect.addr = as_sockaddr(target);
    connect.addr_len = sizeof target;
    reactor_->submit(accept);
    reactor_->submit(connect);
    ASSERT_TRUE(run_until([&] { return accept.done() && connect.done(); }));
    EXPECT_EQ(connect.res, 0);
    ASSERT_GE(accept.res, 0) << std::system_category().message(-accept.res);
    int server = own(accept.res);
    EXPECT_EQ(peer.sin_family, AF_INET);
    EXPECT_EQ(peer_len, sizeof peer);
    EXPECT_TRUE(is_nonblocking(server));
    EXPECT_NE(::fcntl(server, F_GETFD) & FD_CLOEXEC, 0);

    char ping[] = "ping";
    char buf[8];
    recorded_op send = buffer_op(op_code::send, client, ping, 4);
    recorded_op recv = buffer_op(op_code::recv, server, buf, sizeof buf);
    reactor_->submit(recv);
    reactor_->submit(send);
    ASSERT_TRUE(run_until([&] { return send.done() && recv.done(); }));
    ASSERT_EQ(recv.res, 4);
    EXPECT_EQ(std::string(buf, 4), "ping");
}

TEST_P(ReactorContract, ConnectToClosedPortIsRefused) {
    auto [listener, port] = listen_on_loopback();
    ::close(listener); // nothing listens on port any more
    int client = own(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in target = loopback(port);
    recorded_op connect(op_code::connect, client);
    connect.addr = as_sockaddr(target);
    connect.addr_len = sizeof target;
    reactor_->submit(connect);
    ASSERT_TRUE(run_until([&] { return connect.done(); }));
    EXPECT_EQ(connect.res, -ECONNREFUSED);
}

TEST_P(ReactorContract, PollReportsReadable) {
    auto [a, b] = socket_pair();
    recorded_op poll = poll_op(b, POLLIN);
    reactor_->submit(poll);
    spin();
    EXPECT_FALSE(poll.done());
    ASSERT_EQ(::write(a, "x", 1), 1);
    ASSERT_TRUE(run_until([&] { return poll.done(); }));
    ASSERT_GT(poll.res, 0);
    EXPECT_NE(poll.res & POLLIN, 0);
}

TEST_P(ReactorContract, PollReportsWritable) {
    auto [a, b] = socket_pair();
    recorded_op poll = poll_op(a, POLLOUT);
    reactor_->submit(poll);
    ASSERT_TRUE(run_until([&] { return poll.done(); }));
    ASSERT_GT(poll.res, 0);
    EXPECT_NE(poll.res & POLLOUT, 0);
    EXPECT_EQ(poll.res & POLLIN, 0);
}

TEST_P(ReactorContract, PollForBothWakesWhenWritable) {
    auto [a, b] = socket_pair();
    ASSERT_GT(fill_until_full(a), 0U);
    recorded_op poll = poll_op(a, POLLIN | POLLOUT);
    reactor_->submit(poll);
    spin();
    EXPECT_FALSE(poll.done()) << "neither readable nor writable yet";
    std::vector<char> sink(64 * 1024);
    while (::read(b, sink.data(), sink.size()) > 0) {
    }
    ASSERT_TRUE(run_until([&] { return poll.done(); }));
    ASSERT_GT(poll.res, 0);
    EXPECT_NE(poll.res & POLLOUT, 0);
    EXPECT_EQ(poll.res & POLLIN, 0);
}

TEST_P(ReactorContract, CancelWaitingRecvDeliversCanceledOnce) {
    auto [a, b] = socket_pair();
    char buf[8];
    recorded_op recv = buffer_op(op_code::recv, b, buf, sizeof buf);
    reactor_->submit(recv);
    spin();
    ASSERT_FALSE(recv.done());
    reactor_->cancel(recv);
    EXPECT_EQ(recv.finals, 0);
    ASSERT_TRUE(run_until([&] { return recv.done(); }));
    EXPECT_EQ(recv.res, -ECANCELED);
    ASSERT_EQ(::write(a, "x", 1), 1); // a late wake-up must not complete it again
    spin();
    EXPECT_EQ(recv.finals, 1);
    EXPECT_EQ(::read(b, buf, sizeof buf), 1) << "the cancelled recv consumed data";
}

TEST_P(ReactorContract, CancelRacingCompletionDeliversOnce) {
    auto [a, b] = socket_pair();
    ASSERT_EQ(::write(a, "race", 4), 4);
    char buf[8];
    recorded_op recv = buffer_op(op_code::recv, b, buf, sizeof buf);
    reactor_->submit(recv);
    reactor_->cancel(recv);
    ASSERT_TRUE(run_until([&] { return recv.done(); }));
    spin();
    EXPECT_EQ(recv.finals, 1);
    if (recv.res == -ECANCELED) {
        EXPECT_EQ(::read(b, buf, sizeof buf), 4) << "a cancel that won must consume nothing";
    } else {
        EXPECT_EQ(recv.res, 4);
        EXPECT_EQ(std::string(buf, 4), "race");
    }
}

// Two ops waiting on one fd both complete, each message once. Their order is not part of
// the contract: io_uring wakes armed polls newest first (asyncio has no order either, since
// its add_reader replaces the previous reader of the fd).
TEST_P(ReactorContract, WaitingRecvsOnOneFdEachGetOneMessage) {
    auto [a, b] = socket_pair(SOCK_SEQPACKET);
    char first_buf[8];
    char second_buf[8];
    recorded_op first = buffer_op(op_code::recv, b, first_buf, sizeof first_buf);
    recorded_op second = buffer_op(op_code::recv, b, second_buf, sizeof second_buf);
    reactor_->submit(first);
    reactor_->submit(second);
    spin();
    ASSERT_EQ(::send(a, "one", 3, 0), 3);
    ASSERT_EQ(::send(a, "two", 3, 0), 3);
    ASSERT_TRUE(run_until([&] { return first.done() && second.done(); }));
    ASSERT_EQ(first.res, 3);
    ASSERT_EQ(second.res, 3);
    std::string got = std::string(first_buf, 3) + std::string(second_buf, 3);
    EXPECT_TRUE(got == "onetwo" || got == "twoone") << got;
}

TEST_P(ReactorContract, CallbacksMaySubmitAndCancel) {
    auto [a, b] = socket_pair(SOCK_SEQPACKET);
    char buf[8];
    char more[8];
    recorded_op waiting = poll_op(a, POLLIN);
    recorded_op rearmed = buffer_op(op_code::recv, b, more, sizeof more);
    recorded_op recv = buffer_op(op_code::recv, b, buf, sizeof buf);
    recv.then = [&](recorded_op&) {
        reactor_->cancel(waiting);
        reactor_->submit(rearmed);
    };
    reactor_->submit(waiting);
    reactor_->submit(recv);
    spin();
    ASSERT_EQ(::send(a, "1", 1, 0), 1);
    ASSERT_EQ(::send(a, "2", 1, 0), 1);
    ASSERT_TRUE(run_until([&] { return recv.done() && rearmed.done() && waiting.done(); }));
    EXPECT_EQ(waiting.res, -ECANCELED);
    EXPECT_EQ(recv.res, 1);
    EXPECT_EQ(rearmed.res, 1);
    EXPECT_EQ(std::string(buf, 1) + std::string(more, 1), "12");
    EXPECT_EQ(recv.finals + rearmed.finals + waiting.finals, 3);
}

TEST_P(ReactorContract, WakeFromAnotherThreadUnblocksPoll) {
    std::atomic<bool> woke{false};
    std::thread waker([&] {
        std::this_thread::sleep_for(10ms);
        woke = true;
        reactor_->wake();
    });
    reactor_->poll(std::nullopt);
    waker.join();
    EXPECT_TRUE(woke.load());
}

TEST_P(ReactorContract, WakeBeforePollIsNotLost) {
    reactor_->wake();
    auto start = std::chrono::steady_clock::now();
    reactor_->poll(std::nullopt);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST_P(ReactorContract, PollZeroReturnsWhenIdle) {
    auto start = std::chrono::steady_clock::now();
    reactor_->poll(0ns);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 50ms);
}

TEST_P(ReactorContract, PollTimeoutElapses) {
    auto start = std::chrono::steady_clock::now();
    reactor_->poll(20ms);
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, 19ms);
    EXPECT_LT(waited, 1s);
}

TEST_P(ReactorContract, PeerResetCompletesWaitingRecv) {
    auto [client, server] = tcp_pair();
    char buf[8];
    recorded_op recv = buffer_op(op_code::recv, server, buf, sizeof buf);
    reactor_->submit(recv);
    spin();
    ASSERT_FALSE(recv.done());
    ::linger abort_on_close{1, 0};
    ASSERT_EQ(::setsockopt(client, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close),
              0);
    close_fd(client);
    ASSERT_TRUE(run_until([&] { return recv.done(); }));
    EXPECT_TRUE(recv.res == -ECONNRESET || recv.res == 0) << recv.res;
}

TEST_P(ReactorContract, SendToClosedPeerIsBrokenPipe) {
    auto [a, b] = socket_pair();
    close_fd(b);
    char msg[] = "x";
    recorded_op send = buffer_op(op_code::send, a, msg, 1);
    reactor_->submit(send);
    ASSERT_TRUE(run_until([&] { return send.done(); }));
    EXPECT_EQ(send.res, -EPIPE); // and no SIGPIPE killed us
}

TEST_P(ReactorContract, SendmsgGathersBuffers) {
    auto [a, b] = socket_pair();
    char head[] = "ab";
    char tail[] = "cd";
    ::iovec iov[2] = {{head, 2}, {tail, 2}};
    ::msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    recorded_op sendmsg(op_code::sendmsg, a);
    sendmsg.msg = &msg;
    char buf[8];
    recorded_op recv = buffer_op(op_code::recv, b, buf, sizeof buf);
    reactor_->submit(recv);
    reactor_->submit(sendmsg);
    ASSERT_TRUE(run_until([&] { return sendmsg.done() && recv.done(); }));
    EXPECT_EQ(sendmsg.res, 4);
    ASSERT_EQ(recv.res, 4);
    EXPECT_EQ(std::string(buf, 4), "abcd");
}

TEST_P(ReactorContract, PipeReadWaitsForWrite) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    own(p[0]);
    own(p[1]);
    char in[8];
    char out[] = "pipe";
    recorded_op read = buffer_op(op_code::read, p[0], in, sizeof in);
    reactor_->submit(read);
    spin();
    EXPECT_FALSE(read.done());
    recorded_op write = buffer_op(op_code::write, p[1], out, 4);
    reactor_->submit(write);
    ASSERT_TRUE(run_until([&] { return read.done() && write.done(); }));
    EXPECT_EQ(write.res, 4);
    ASSERT_EQ(read.res, 4);
    EXPECT_EQ(std::string(in, 4), "pipe");
}

TEST_P(ReactorContract, BadFdFailsThroughPoll) {
    char buf[4];
    recorded_op recv = buffer_op(op_code::recv, -1, buf, sizeof buf);
    reactor_->submit(recv);
    EXPECT_FALSE(recv.done());
    ASSERT_TRUE(run_until([&] { return recv.done(); }));
    EXPECT_EQ(recv.res, -EBADF);
}

// The contract asks owners to call forget_fd() before close(); a backend must still survive
// one that does not when the number comes back. Both tests leave a backend idle interest in a
// direction (a recv that waited, then completed) and close without forget_fd().
TEST_P(ReactorContract, AcceptedFdReusingUnforgottenNumberWorks) {
    auto [listener, port] = listen_on_loopback();
    own(listener);
    auto [a, b] = socket_pair();
    char buf[8];
    recorded_op recv = buffer_op(op_code::recv, b, buf, sizeof buf);
    reactor_->submit(recv);
    spin();
    ASSERT_EQ(::write(a, "1", 1), 1);
    ASSERT_TRUE(run_until([&] { return recv.done(); }));
    close_fd(a, false);
    close_fd(b, false);
    int client = own(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); // takes a's number
    sockaddr_in target = loopback(port);
    ASSERT_EQ(::connect(client, as_sockaddr(target), sizeof target), 0);
    recorded_op accept(op_code::accept, listener);
    reactor_->submit(accept);
    ASSERT_TRUE(run_until([&] { return accept.done(); }));
    int server = own(accept.res);
    EXPECT_EQ(server, b) << "fd number not reused; the test proves less";
    recorded_op again = buffer_op(op_code::recv, server, buf, sizeof buf);
    reactor_->submit(again);
    spin();
    EXPECT_FALSE(again.done());
    ASSERT_EQ(::write(client, "2", 1), 1);
    ASSERT_TRUE(run_until([&] { return again.done(); }));
    EXPECT_EQ(again.res, 1);
    EXPECT_EQ(buf[0], '2');
}

TEST_P(ReactorContract, ReusedUnforgottenNumberWorksForOtherDirection) {
    auto [a, b] = socket_pair();
    char buf[8];
    recorded_op recv = buffer_op(op_code::recv, b, buf, sizeof buf);
    reactor_->submit(recv);
    spin();
    ASSERT_EQ(::write(a, "1", 1), 1);
    ASSERT_TRUE(run_until([&] { return recv.done(); }));
    close_fd(a, false);
    close_fd(b, false);
    auto [c, d] = socket_pair();
    EXPECT_EQ(d, b) << "fd number not reused; the test proves less";
    // A send that must wait on the reused number makes epoll need EPOLL_CTL_MOD -> ADD.
    ASSERT_GT(fill_until_full(d), 0U);
    char msg[] = "x";
    recorded_op send = buffer_op(op_code::send, d, msg, 1);
    reactor_->submit(send);
    spin();
    EXPECT_FALSE(send.done());
    std::vector<char> sink(64 * 1024);
    while (::read(c, sink.data(), sink.size()) > 0) {
    }
    ASSERT_TRUE(run_until([&] { return send.done(); }));
    EXPECT_EQ(send.res, 1);
    recorded_op again = buffer_op(op_code::recv, d, buf, sizeof buf);
    reactor_->submit(again);
    spin();
    EXPECT_FALSE(again.done());
    ASSERT_EQ(::write(c, "2", 1), 1);
    ASSERT_TRUE(run_until([&] { return again.done(); }));
    EXPECT_EQ(again.res, 1);
}

CORELOOP_REACTOR_BACKENDS(ReactorContract);

} // namespace
} // namespace coreloop::test
