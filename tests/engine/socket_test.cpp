// socket and sock_address on their own: addresses, descriptor flags, ownership, options.
#include <coreloop/socket.hpp>

#include <stdexcept>
#include <string>
#include <utility>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <coreloop/exceptions.hpp>

#include "support/loop_test.hpp"

namespace coreloop {
namespace {

TEST(SockAddress, FromIpv4) {
    sock_address a = sock_address::from_ip("127.0.0.1", 8080);
    EXPECT_EQ(a.family(), AF_INET);
    EXPECT_EQ(a.host(), "127.0.0.1");
    EXPECT_EQ(a.port(), 8080);
    EXPECT_EQ(a.to_string(), "127.0.0.1:8080");
    EXPECT_EQ(a.size(), sizeof(::sockaddr_in));
}

TEST(SockAddress, FromIpv6) {
    sock_address a = sock_address::from_ip("::1", 443);
    EXPECT_EQ(a.family(), AF_INET6);
    EXPECT_EQ(a.host(), "::1");
    EXPECT_EQ(a.port(), 443);
    EXPECT_EQ(a.to_string(), "[::1]:443");
    EXPECT_EQ(a.size(), sizeof(::sockaddr_in6));
    EXPECT_TRUE(sock_address::from_ip("[::1]", 443) == a);
    EXPECT_EQ(sock_address::from_ip("fe80::1", 1).to_string(), "[fe80::1]:1");
}

TEST(SockAddress, FromUnixPath) {
    sock_address a = sock_address::from_unix_path("/tmp/some.sock");
    EXPECT_EQ(a.family(), AF_UNIX);
    EXPECT_EQ(a.host(), "/tmp/some.sock");
    EXPECT_EQ(a.to_string(), "/tmp/some.sock");
    EXPECT_EQ(a.port(), 0);
}

TEST(SockAddress, InvalidArguments) {
    EXPECT_THROW(sock_address::from_ip("localhost", 80), std::invalid_argument);
    EXPECT_THROW(sock_address::from_ip("", 80), std::invalid_argument);
    EXPECT_THROW(sock_address::from_ip("256.1.1.1", 80), std::invalid_argument);
    EXPECT_THROW(sock_address::from_ip("1.2.3", 80), std::invalid_argument);
    EXPECT_THROW(sock_address::from_ip("::1::2", 80), std::invalid_argument);
    EXPECT_THROW(sock_address::from_unix_path(std::string(200, 'p')), std::invalid_argument);
    EXPECT_THROW(sock_address::from_unix_path(std::string(108, 'p')), std::invalid_argument);
    EXPECT_NO_THROW(sock_address::from_unix_path(std::string(107, 'p')));
}

TEST(SockAddress, Equality) {
    EXPECT_TRUE(sock_address::from_ip("10.0.0.1", 1) == sock_address::from_ip("10.0.0.1", 1));
    EXPECT_FALSE(sock_address::from_ip("10.0.0.1", 1) == sock_address::from_ip("10.0.0.1", 2));
    EXPECT_FALSE(sock_address::from_ip("10.0.0.1", 1) == sock_address::from_ip("10.0.0.2", 1));
}

TEST(Socket, PairIsNonBlockingAndCloseOnExec) {
    auto [a, b] = socket::pair();
    for (const socket* s : {&a, &b}) {
        EXPECT_TRUE(s->is_open());
        EXPECT_NE(::fcntl(s->fileno(), F_GETFL) & O_NONBLOCK, 0);
        EXPECT_NE(::fcntl(s->fileno(), F_GETFD) & FD_CLOEXEC, 0);
    }
}

TEST(Socket, MoveCloseAndDetach) {
    int fds_before = test::count_open_fds();
    {
        socket s = socket::create(AF_INET);
        int fd = s.fileno();
        socket t = std::move(s);
        EXPECT_FALSE(s.is_open()); // NOLINT(bugprone-use-after-move)
        EXPECT_EQ(t.fileno(), fd);
        t.close();
        t.close(); // idempotent
        EXPECT_FALSE(t.is_open());
        socket u = socket::create(AF_INET);
        int raw = u.detach();
        EXPECT_FALSE(u.is_open());
        EXPECT_EQ(::close(raw), 0);
    }
    EXPECT_EQ(test::count_open_fds(), fds_before);
}

TEST(Socket, OptionsAndErrors) {
    socket s = socket::create(AF_INET);
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    EXPECT_NE(s.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
    socket other = socket::create(AF_INET);
    other.bind(sock_address::from_ip("127.0.0.1", 0));
    // Binding a second socket to the same address fails with EADDRINUSE.
    socket clash = socket::create(AF_INET);
    try {
        clash.bind(other.getsockname());
        ADD_FAILURE() << "bind succeeded";
    } catch (const io_error& e) {
        EXPECT_EQ(e.code().value(), EADDRINUSE);
    }
    EXPECT_THROW(s.getpeername(), io_error);
}

} // namespace
} // namespace coreloop
