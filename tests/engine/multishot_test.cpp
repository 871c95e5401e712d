// Contract tests of the multishot ops (accept_multishot, recv_multishot with the reactor's
// receive buffers) and recvmsg, on both backends.
#include "reactor.hpp"

#include <cstring>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/reactor_fixture.hpp"

namespace coreloop::test {
namespace {

using namespace std::chrono_literals;

/// A multishot op that keeps every completion: results, and the bytes of buffer completions,
/// given back at once unless `hold` is set.
struct multishot_op : io_op {
    detail::reactor* reactor = nullptr;
    std::vector<int> results;
    std::vector<std::string> chunks;
    std::vector<std::uint16_t> held;
    int final_res = 1;
    int finals = 0;
    bool hold = false;

    multishot_op(detail::reactor& r, op_code c, int file)
        : reactor(&r) {
        code = c;
        fd = file;
        on_complete = &multishot_op::record;
    }

    static void record(io_op& op, int res, std::uint32_t flags) noexcept {
        auto& self = static_cast<multishot_op&>(op);
        if ((flags & detail::completion_buffer) != 0) {
            const std::uint16_t id = detail::buffer_id(flags);
            self.chunks.emplace_back(reinterpret_cast<const char*>(self.reactor->recv_buffer(id)),
                                     static_cast<std::size_t>(res));
            if (self.hold) {
                self.held.push_back(id);
            } else {
                self.reactor->give_back(id);
            }
        }
        if ((flags & detail::completion_more) != 0) {
            self.results.push_back(res);
        } else {
            self.final_res = res;
            ++self.finals;
        }
    }

    std::string all_data() const {
        std::string s;
        for (const auto& c : chunks) {
            s += c;
        }
        return s;
    }
};

class Multishot : public ReactorContract {};

TEST_P(Multishot, RecvDeliversEachArrivalThenEndOfStream) {
    auto [a, b] = socket_pair();
    multishot_op op(*reactor_, op_code::recv_multishot, b);
    reactor_->submit(op);
    spin();
    EXPECT_TRUE(op.chunks.empty());
    ASSERT_EQ(::write(a, "first", 5), 5);
    ASSERT_TRUE(run_until([&] { return op.all_data() == "first"; }));
    ASSERT_EQ(::write(a, "second", 6), 6);
    ASSERT_TRUE(run_until([&] { return op.all_data() == "firstsecond"; }));
    EXPECT_EQ(op.finals, 0);
    ::shutdown(a, SHUT_WR);
    ASSERT_TRUE(run_until([&] { return op.finals == 1; }));
    EXPECT_EQ(op.final_res, 0);
}

TEST_P(Multishot, RecvSpreadsALargeTransferOverBuffers) {
    reactor_->configure_recv_buffers(8, 1024);
    auto [a, b] = socket_pair();
    multishot_op op(*reactor_, op_code::recv_multishot, b);
    reactor_->submit(op);
    std::string data(100000, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<char>(i * 7 + i / 251);
    }
    // A burst bigger than the pool may use up every buffer before the loop gives one back;
    // the op then ends with ENOBUFS and its owner starts it again (as transports do).
    std::size_t sent = 0;
    int restarts = 0;
    ASSERT_TRUE(run_until([&] {
        ssize_t n = ::send(a, data.data() + sent, data.size() - sent, MSG_DONTWAIT);
        sent += n > 0 ? static_cast<std::size_t>(n) : 0;
        if (op.finals > 0 && op.final_res == -ENOBUFS) {
            op.finals = 0;
            ++restarts;
            reactor_->submit(op);
        }
        return op.all_data().size() == data.size() || op.finals > 0;
    }));
    EXPECT_EQ(op.finals, 0);
    EXPECT_TRUE(op.all_data() == data) << restarts << " restarts";
    for (const auto& c : op.chunks) {
        EXPECT_LE(c.size(), 1024U);
    }
    reactor_->cancel(op);
    ASSERT_TRUE(run_until([&] { return op.finals == 1; }));
    EXPECT_EQ(op.final_res, -ECANCELED);
}

TEST_P(Multishot, RecvEndsWithNoBuffersWhenAllAreHeld) {
    reactor_->configure_recv_buffers(2, 64);
    auto [a, b] = socket_pair();
    multishot_op op(*reactor_, op_code::recv_multishot, b);
    op.hold = true;
    reactor_->submit(op);
    spin();
    std::size_t written = 0;
    for (int i = 0; i < 8 && op.finals == 0; ++i) {
        ASSERT_EQ(::write(a, "x", 1), 1);
        ++written;
        run_until([&] { return op.all_data().size() == written || op.finals > 0; });
    }
    ASSERT_TRUE(run_until([&] { return op.finals == 1; }));
    EXPECT_EQ(op.final_res, -ENOBUFS);
    EXPECT_EQ(op.held.size(), 2U);
    for (auto id : op.held) {
        reactor_->give_back(id);
    }
    // With the buffers back, a new multishot receive gets the bytes still waiting: none lost.
    multishot_op again(*reactor_, op_code::recv_multishot, b);
    reactor_->submit(again);
    ASSERT_TRUE(
            run_until([&] { return op.all_data().size() + again.all_data().size() == written; }));
    reactor_->cancel(again);
    ASSERT_TRUE(run_until([&] { return again.finals == 1; }));
}

TEST_P(Multishot, AcceptDeliversEveryConnectionUntilCancelled) {
    auto [listener, port] = listen_on_loopback();
    own(listener);
    multishot_op op(*reactor_, op_code::accept_multishot, listener);
    reactor_->submit(op);
    std::vector<int> clients;
    for (int i = 0; i < 3; ++i) {
        int c = own(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in sa = loopback(port);
        ASSERT_EQ(::connect(c, as_sockaddr(sa), sizeof sa), 0);
        clients.push_back(c);
    }
    ASSERT_TRUE(run_until([&] { return op.results.size() == 3; }));
    for (int fd : op.results) {
        EXPECT_GE(fd, 0);
        EXPECT_TRUE(is_nonblocking(fd));
        own(fd);
    }
    EXPECT_EQ(op.finals, 0);
    reactor_->cancel(op);
    ASSERT_TRUE(run_until([&] { return op.finals == 1; }));
    EXPECT_EQ(op.final_res, -ECANCELED);
}

TEST_P(Multishot, RecvmsgReportsTheSender) {
    int a = own(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int b = own(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in sa = loopback(0);
    socklen_t len = sizeof sa;
    ASSERT_EQ(::bind(b, as_sockaddr(sa), len), 0);
    ASSERT_EQ(::getsockname(b, as_sockaddr(sa), &len), 0);
    char buf[64] = {};
    iovec iov{buf, sizeof buf};
    sockaddr_in from{};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    recorded_op op(op_code::recvmsg, b);
    op.msg = &msg;
    reactor_->submit(op);
    ASSERT_EQ(::sendto(a, "datagram", 8, 0, as_sockaddr(sa), len), 8);
    ASSERT_TRUE(run_until([&] { return op.done(); }));
    EXPECT_EQ(op.res, 8);
    EXPECT_EQ(std::string(buf, 8), "datagram");
    EXPECT_EQ(from.sin_family, AF_INET);
    EXPECT_NE(from.sin_port, 0);
}

CORELOOP_REACTOR_BACKENDS(Multishot);

} // namespace
} // namespace coreloop::test
