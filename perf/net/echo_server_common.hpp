// What the two hand-written reference echo servers (io_uring and epoll) share, free of
// coreloop code: the listening socket, SIGTERM/SIGINT through a signalfd, and the CPU time
// they print when they stop.
#pragma once

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "echo_common.hpp"

namespace echo_ref {

/// A listening IPv4 socket on host:port (port 0: any); stores the bound port in `*bound`.
inline int listen_on(const std::string& host, int port, int flags, int* bound) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        std::fprintf(stderr, "bad --host %s (IPv4 only)\n", host.c_str());
        std::exit(2);
    }
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    auto* sa = reinterpret_cast<sockaddr*>(&addr);
    socklen_t len = sizeof(addr);
    if (fd < 0 || bind(fd, sa, len) != 0 || listen(fd, 4096) != 0 || getsockname(fd, sa, &len)) {
        die("listen", errno);
    }
    *bound = ntohs(addr.sin_port);
    return fd;
}

/// Blocks SIGTERM and SIGINT and returns a signalfd that reads them, so a server's wait
/// sees them without a race.
inline int stop_signal_fd() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    const int fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) {
        die("signalfd", errno);
    }
    return fd;
}

/// Prints "cpu_seconds=... user=... sys=..." on stderr (compare_echo.sh reads it).
inline void print_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double user = static_cast<double>(usage.ru_utime.tv_sec) + usage.ru_utime.tv_usec / 1e6;
    const double sys = static_cast<double>(usage.ru_stime.tv_sec) + usage.ru_stime.tv_usec / 1e6;
    std::fprintf(stderr, "cpu_seconds=%.3f user=%.3f sys=%.3f\n", user + sys, user, sys);
}

} // namespace echo_ref
