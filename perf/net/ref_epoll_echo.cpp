// Reference TCP echo server on raw epoll, no coreloop: the readiness-based yardstick beside
// ref_uring_echo (issue #7's peers). One thread, level-triggered epoll, non-blocking sockets,
// one read and one write per readable connection; what the kernel does not take at once
// waits in the connection's buffer for EPOLLOUT, and reading stops meanwhile.
#include "echo_common.hpp"
#include "echo_server_common.hpp"

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

namespace {

struct options {
    std::string host = "127.0.0.1";
    int port = 0;
    int cpu = -1;
};

options parse(int argc, char** argv) {
    options opts;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--port") {
            opts.port = std::atoi(echo_ref::option_value(argc, argv, &i));
        } else if (arg == "--host") {
            opts.host = echo_ref::option_value(argc, argv, &i);
        } else if (arg == "--cpu") {
            opts.cpu = std::atoi(echo_ref::option_value(argc, argv, &i));
        } else {
            std::fprintf(stderr, "usage: %s [--port P] [--host ADDR] [--cpu N]\n", argv[0]);
            std::exit(2);
        }
    }
    return opts;
}

class server {
public:
    server(int listen_fd, int signal_fd)
        : epoll_fd_(epoll_create1(EPOLL_CLOEXEC))
        , listen_fd_(listen_fd)
        , signal_fd_(signal_fd) {
        watch(listen_fd_, EPOLLIN);
        watch(signal_fd_, EPOLLIN);
    }
    ~server() {
        for (std::size_t fd = 0; fd < unsent_.size(); ++fd) {
            if (open_[fd]) {
                close(static_cast<int>(fd));
            }
        }
        close(epoll_fd_);
    }

    void run() {
        epoll_event events[256];
        for (;;) {
            const int n = epoll_wait(epoll_fd_, events, 256, -1);
            if (n < 0 && errno != EINTR) {
                echo_ref::die("epoll_wait", errno);
            }
            for (int i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (fd == signal_fd_) {
                    return;
                }
                if (fd == listen_fd_) {
                    accept_all();
                } else if (events[i].events & EPOLLOUT) {
                    flush(fd);
                } else {
                    echo(fd);
                }
            }
        }
    }

private:
    void watch(int fd, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
    void rewatch(int fd, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    }

    void accept_all() {
        for (;;) {
            const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                return; // EAGAIN, or a transient error: the next readiness retries
            }
            const int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            if (static_cast<std::size_t>(fd) >= unsent_.size()) {
                unsent_.resize(static_cast<std::size_t>(fd) + 1);
                open_.resize(static_cast<std::size_t>(fd) + 1);
            }
            open_[static_cast<std::size_t>(fd)] = true;
            watch(fd, EPOLLIN);
        }
    }

    void echo(int fd) {
        const ssize_t n = read(fd, buffer_, sizeof buffer_);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            drop(fd);
            return;
        }
        if (n < 0) {
            return;
        }
        const ssize_t sent = send(fd, buffer_, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        if (sent == n) {
            return;
        }
        if (sent < 0 && errno != EAGAIN) {
            drop(fd);
            return;
        }
        // The kernel took part of it: keep the rest, stop reading until it has gone.
        const std::size_t from = sent < 0 ? 0 : static_cast<std::size_t>(sent);
        unsent_[static_cast<std::size_t>(fd)].assign(buffer_ + from, buffer_ + n);
        rewatch(fd, EPOLLOUT);
    }

    void flush(int fd) {
        std::string& rest = unsent_[static_cast<std::size_t>(fd)];
        const ssize_t sent = send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno != EAGAIN) {
                drop(fd);
            }
            return;
        }
        rest.erase(0, static_cast<std::size_t>(sent));
        if (rest.empty()) {
            rewatch(fd, EPOLLIN);
        }
    }

    void drop(int fd) {
        open_[static_cast<std::size_t>(fd)] = false;
        unsent_[static_cast<std::size_t>(fd)].clear();
        close(fd); // also leaves the epoll set
    }

    int epoll_fd_;
    int listen_fd_;
    int signal_fd_;
    std::vector<std::string> unsent_; // by fd
    std::vector<bool> open_;          // by fd
    char buffer_[64 * 1024];
};

} // namespace

int main(int argc, char** argv) {
    const options opts = parse(argc, argv);
    echo_ref::pin_to_cpu(opts.cpu);
    const int signal_fd = echo_ref::stop_signal_fd();
    int port = 0;
    const int listen_fd = echo_ref::listen_on(opts.host, opts.port, SOCK_NONBLOCK, &port);
    {
        server srv(listen_fd, signal_fd);
        std::printf("listening on %s:%d\n", opts.host.c_str(), port);
        std::fflush(stdout);
        srv.run();
    }
    close(listen_fd);
    close(signal_fd);
    echo_ref::print_cpu_seconds();
    return 0;
}
