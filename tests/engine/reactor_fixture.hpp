// The fixture of the reactor contract tests: a reactor of the backend under test, owned fds,
// an op that records its completions, and loopback helpers.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "reactor.hpp"

namespace coreloop::test {

using detail::io_op;
using detail::op_code;

/// An io_op that records its completions and their order.
struct recorded_op : io_op {
    int res = 0;
    int finals = 0;                         ///< completions without completion_more
    int order = -1;                         ///< position of the last completion in the test
    std::function<void(recorded_op&)> then; ///< runs inside on_complete, if set

    inline static int next_order = 0;

    recorded_op(op_code c, int file) {
        code = c;
        fd = file;
        on_complete = &recorded_op::record;
    }

    static void record(io_op& op, int result, std::uint32_t flags) noexcept {
        auto& self = static_cast<recorded_op&>(op);
        self.res = result;
        self.finals += (flags & detail::completion_more) == 0 ? 1 : 0;
        self.order = next_order++;
        if (self.then) {
            self.then(self);
        }
    }

    bool done() const { return finals > 0; }
};

inline recorded_op buffer_op(op_code code, int fd, void* buf, std::size_t len) {
    recorded_op op(code, fd);
    op.buf = buf;
    op.len = len;
    return op;
}

inline recorded_op poll_op(int fd, std::uint32_t events) {
    recorded_op op(op_code::poll, fd);
    op.poll_events = events;
    return op;
}

inline sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

inline sockaddr* as_sockaddr(sockaddr_in& sa) {
    return reinterpret_cast<sockaddr*>(&sa);
}

/// A listening TCP socket on 127.0.0.1 and its port.
inline std::pair<int, std::uint16_t> listen_on_loopback() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in sa = loopback(0);
    socklen_t len = sizeof sa;
    if (fd < 0 || ::bind(fd, as_sockaddr(sa), len) < 0 || ::listen(fd, 16) < 0 ||
        ::getsockname(fd, as_sockaddr(sa), &len) < 0) {
        ADD_FAILURE() << "listen on 127.0.0.1: " << std::system_category().message(errno);
    }
    return {fd, ntohs(sa.sin_port)};
}

inline bool is_nonblocking(int fd) {
    return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

/// Fills fd's send path until the kernel says EAGAIN; returns the bytes written.
inline std::size_t fill_until_full(int fd) {
    std::vector<char> chunk(64 * 1024, 'x');
    std::size_t total = 0;
    for (;;) {
        ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n <= 0) {
            return total;
        }
        total += static_cast<std::size_t>(n);
    }
}

class ReactorContract : public ::testing::TestWithParam<backend> {
protected:
    void SetUp() override {
        try {
            reactor_ = detail::make_reactor(GetParam());
        } catch (const std::system_error& e) {
            GTEST_SKIP() << to_string(GetParam()) << " backend unavailable: " << e.what();
        }
        recorded_op::next_order = 0;
    }

    void TearDown() override {
        bool idle = reactor_ == nullptr || reactor_->in_flight() == 0;
        EXPECT_TRUE(idle) << reactor_->in_flight() << " ops still in flight";
        for (int fd : fds_) {
            if (idle && reactor_) {
                reactor_->forget_fd(fd);
            }
            ::close(fd);
        }
    }

    /// Takes ownership of fd: it is forgotten and closed at the end of the test.
    int own(int fd) {
        EXPECT_GE(fd, 0) << std::system_category().message(errno);
        if (fd >= 0) {
            fds_.push_back(fd);
        }
        return fd;
    }

    /// Forgets and closes an owned fd now.
    void close_fd(int fd, bool forget = true) {
        if (forget) {
            reactor_->forget_fd(fd);
        }
        fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
        ::close(fd);
    }

    std::pair<int, int> socket_pair(int type = SOCK_STREAM) {
        int sv[2] = {-1, -1};
        EXPECT_EQ(::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        return {own(sv[0]), own(sv[1])};
    }

    /// A connected TCP pair over loopback, made with plain syscalls (client, server).
    std::pair<int, int> tcp_pair() {
        auto [listener, port] = listen_on_loopback();
        int client = own(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in sa = loopback(port);
        EXPECT_EQ(::connect(client, as_sockaddr(sa), sizeof sa), 0);
        ::fcntl(client, F_SETFL, O_NONBLOCK);
        ::pollfd pfd{listener, POLLIN, 0};
        EXPECT_EQ(::poll(&pfd, 1, 1000), 1);
        int server = own(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        ::close(listener);
        return {client, server};
    }

    /// Polls until pred() holds; false after a 5 s deadline (a hang is a failure, not a stall).
    template <typename Pred>
    bool run_until(Pred pred) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!pred()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            reactor_->poll(std::chrono::milliseconds(10));
        }
        return true;
    }

    /// A few non-blocking iterations: lets a backend submit and reap what is ready.
    void spin(int times = 3) {
        for (int i = 0; i < times; ++i) {
            reactor_->poll(std::chrono::nanoseconds(0));
        }
    }

    std::unique_ptr<detail::reactor> reactor_;
    std::vector<int> fds_;
};

/// Instantiates a reactor suite once per backend.
#define CORELOOP_REACTOR_BACKENDS(suite)                                                           \
    INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                      \
                             ::testing::Values(backend::io_uring, backend::epoll),                 \
                             [](const ::testing::TestParamInfo<backend>& param_info) {             \
                                 return std::string(to_string(param_info.param));                  \
                             })

} // namespace coreloop::test
