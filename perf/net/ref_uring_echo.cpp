// Reference TCP echo server on raw io_uring, no coreloop: the yardstick for coreloop's echo
// (issue #6). One thread, multishot accept, multishot recv into a provided-buffer ring, and one
// send per received chunk from the same buffer, which goes back to the ring when the send ends.
#include "echo_common.hpp"
#include "echo_server_common.hpp"

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using echo_ref::get_sqe;

constexpr unsigned short buffer_group = 0;

enum class op : std::uint8_t { accept = 1, recv, send, signal };

// user_data: op in bits 56..63, buffer id in bits 32..47, fd in bits 0..31.
std::uint64_t tag(op kind, int fd, unsigned short bid = 0) {
    return std::uint64_t{static_cast<std::uint8_t>(kind)} << 56 | std::uint64_t{bid} << 32 |
           static_cast<std::uint32_t>(fd);
}
op tag_op(std::uint64_t data) {
    return static_cast<op>(data >> 56);
}
int tag_fd(std::uint64_t data) {
    return static_cast<int>(data & 0xffff'ffffU);
}
unsigned short tag_bid(std::uint64_t data) {
    return static_cast<unsigned short>(data >> 32);
}

struct options {
    std::string host = "127.0.0.1";
    int port = 0;
    int cpu = -1;
    unsigned buffers = 4096;
    unsigned buffer_size = 4096;
};

// One received chunk waiting to be echoed; sends of one connection form a FIFO linked through
// `next` (buffer ids), so at most one send per connection is in flight and bytes stay in order.
struct pending_send {
    unsigned offset = 0;
    unsigned length = 0;
    int next = -1;
};

struct connection {
    int send_head = -1;
    int send_tail = -1;
    bool open = false;
    bool sending = false;
    bool recv_armed = false;
    bool closing = false; // no more receives: EOF, error, or a failed send
};

class server {
public:
    server(const options& opts, int listen_fd, int signal_fd)
        : ring_(1024, 16384, "ref_uring_echo")
        , bufs_(ring_.get(), opts.buffers, opts.buffer_size, buffer_group)
        , sends_(opts.buffers)
        , listen_fd_(listen_fd)
        , signal_fd_(signal_fd) {}
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server() {
        ring_.exit();
        for (std::size_t fd = 0; fd < conns_.size(); ++fd) {
            if (conns_[fd].open) {
                close(static_cast<int>(fd));
            }
        }
    }

    void run() {
        io_uring* ring = ring_.get();
        io_uring_sqe* sqe = get_sqe(ring);
        io_uring_prep_poll_add(sqe, signal_fd_, POLLIN);
        io_uring_sqe_set_data64(sqe, tag(op::signal, signal_fd_));
        arm_accept();
        while (!stop_) {
            bufs_.publish();
            const int rc = io_uring_submit_and_wait(ring, 1);
            if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
                echo_ref::die("io_uring_submit_and_wait", -rc);
            }
            unsigned head = 0;
            unsigned seen = 0;
            io_uring_cqe* cqe = nullptr;
            io_uring_for_each_cqe(ring, head, cqe) {
                dispatch(cqe);
                ++seen;
            }
            io_uring_cq_advance(ring, seen);
            rearm_starved();
        }
        std::fprintf(stderr, "enobufs=%llu partial_sends=%llu\n",
                     static_cast<unsigned long long>(enobufs_),
                     static_cast<unsigned long long>(partial_sends_));
    }

private:
    void dispatch(const io_uring_cqe* cqe) {
        const std::uint64_t data = io_uring_cqe_get_data64(cqe);
        switch (tag_op(data)) {
        case op::accept:
            on_accept(cqe);
            break;
        case op::recv:
            on_recv(cqe, tag_fd(data));
            break;
        case op::send:
            on_send(cqe->res, tag_fd(data), tag_bid(data));
            break;
        case op::signal:
            stop_ = true;
            break;
        }
    }

    void arm_accept() {
        io_uring_sqe* sqe = get_sqe(ring_.get());
        io_uring_prep_multishot_accept(sqe, listen_fd_, nullptr, nullptr, 0);
        io_uring_sqe_set_data64(sqe, tag(op::accept, listen_fd_));
    }

    void arm_recv(int fd) {
        io_uring_sqe* sqe = get_sqe(ring_.get());
        io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = buffer_group;
        io_uring_sqe_set_data64(sqe, tag(op::recv, fd));
        conns_[static_cast<std::size_t>(fd)].recv_armed = true;
    }

    void on_accept(const io_uring_cqe* cqe) {
        if ((cqe->flags & IORING_CQE_F_MORE) == 0) {
            arm_accept();
        }
        if (cqe->res < 0) {
            // EMFILE and friends: report and keep accepting (connections wait in the backlog).
            std::fprintf(stderr, "accept: %s\n", std::strerror(-cqe->res));
            return;
        }
        const int fd = cqe->res;
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (static_cast<std::size_t>(fd) >= conns_.size()) {
            conns_.resize(static_cast<std::size_t>(fd) * 2 + 1);
        }
        conns_[static_cast<std::size_t>(fd)] = connection{.open = true};
        arm_recv(fd);
    }

    void on_recv(const io_uring_cqe* cqe, int fd) {
        connection& conn = conns_[static_cast<std::size_t>(fd)];
        const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
        if (!more) {
            conn.recv_armed = false;
        }
        if (cqe->res > 0) {
            bufs_.taken();
            const unsigned short bid = echo_ref::cqe_buffer_id(cqe);
            if (conn.closing) {
                bufs_.give_back(bid); // a send already failed: nothing more goes out
            } else {
                queue_send(fd, bid, static_cast<unsigned>(cqe->res));
                // The kernel may end a multishot recv at any time (e.g. CQ overflow): re-arm.
                if (!more) {
                    arm_recv(fd);
                }
            }
        } else if (cqe->res == -ENOBUFS) {
            // The buffer ring ran dry; re-armed in rearm_starved() once buffers come back.
            starved_.push_back(fd);
            ++enobufs_;
        } else {
            conn.closing = true; // EOF or an error: echo what is queued, then close
        }
        if (conn.closing) {
            maybe_close(fd);
        }
    }

    void queue_send(int fd, unsigned short bid, unsigned length) {
        connection& conn = conns_[static_cast<std::size_t>(fd)];
        sends_[bid] = pending_send{.offset = 0, .length = length, .next = -1};
        if (conn.send_tail >= 0) {
            sends_[static_cast<std::size_t>(conn.send_tail)].next = bid;
        } else {
            conn.send_head = bid;
        }
        conn.send_tail = bid;
        if (!conn.sending) {
            start_send(fd);
        }
    }

    void start_send(int fd) {
        connection& conn = conns_[static_cast<std::size_t>(fd)];
        const auto bid = static_cast<unsigned short>(conn.send_head);
        const pending_send& send = sends_[bid];
        io_uring_sqe* sqe = get_sqe(ring_.get());
        io_uring_prep_send(sqe, fd, bufs_.data(bid) + send.offset, send.length - send.offset,
                           MSG_NOSIGNAL);
        io_uring_sqe_set_data64(sqe, tag(op::send, fd, bid));
        conn.sending = true;
    }

    void on_send(int res, int fd, unsigned short bid) {
        connection& conn = conns_[static_cast<std::size_t>(fd)];
        pending_send& send = sends_[bid];
        conn.sending = false;
        if (res > 0) {
            send.offset += static_cast<unsigned>(res);
            if (send.offset < send.length) {
                ++partial_sends_;
                start_send(fd); // a partial send: the rest of this buffer goes first
                return;
            }
        } else {
            // EPIPE, ECONNRESET...: drop what is queued and wake the armed recv with shutdown.
            conn.closing = true;
            shutdown(fd, SHUT_RDWR);
        }
        pop_send(conn);
        if (conn.closing && res <= 0) {
            while (conn.send_head >= 0) {
                pop_send(conn);
            }
        }
        if (conn.send_head >= 0) {
            start_send(fd);
        } else {
            maybe_close(fd);
        }
    }

    void pop_send(connection& conn) {
        const auto bid = static_cast<unsigned short>(conn.send_head);
        conn.send_head = sends_[bid].next;
        if (conn.send_head < 0) {
            conn.send_tail = -1;
        }
        bufs_.give_back(bid);
    }

    void maybe_close(int fd) {
        connection& conn = conns_[static_cast<std::size_t>(fd)];
        if (conn.closing && !conn.recv_armed && !conn.sending && conn.send_head < 0) {
            close(fd);
            conn = connection{};
        }
    }

    // Re-arms starved receives in FIFO order, at most one per free buffer: re-arming them all
    // would have most fail again at once with ENOBUFS.
    void rearm_starved() {
        unsigned budget = bufs_.available();
        while (budget > 0 && !starved_.empty()) {
            const int fd = starved_.front();
            starved_.pop_front();
            const connection& conn = conns_[static_cast<std::size_t>(fd)];
            if (conn.open && !conn.closing && !conn.recv_armed) {
                arm_recv(fd);
                --budget;
            }
        }
    }

    echo_ref::uring ring_;
    echo_ref::buffer_ring bufs_;
    std::vector<pending_send> sends_; // indexed by buffer id
    std::vector<connection> conns_;   // indexed by fd
    std::deque<int> starved_;         // fds whose multishot recv ended with ENOBUFS
    int listen_fd_;
    int signal_fd_;
    std::uint64_t enobufs_ = 0;       // multishot recvs ended by an empty buffer ring
    std::uint64_t partial_sends_ = 0; // sends the kernel cut short
    bool stop_ = false;
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
        } else if (arg == "--buffers") {
            opts.buffers = static_cast<unsigned>(std::atoi(echo_ref::option_value(argc, argv, &i)));
        } else if (arg == "--buffer-size") {
            opts.buffer_size =
                    static_cast<unsigned>(std::atoi(echo_ref::option_value(argc, argv, &i)));
        } else {
            std::fprintf(stderr,
                         "usage: %s [--port P] [--host ADDR] [--cpu N] [--buffers N] "
                         "[--buffer-size B]\n",
                         argv[0]);
            std::exit(2);
        }
    }
    return opts;
}

} // namespace

int main(int argc, char** argv) {
    const options opts = parse(argc, argv);
    echo_ref::pin_to_cpu(opts.cpu);
    // SIGTERM/SIGINT arrive through a signalfd polled on the ring: no race with the wait.
    const int signal_fd = echo_ref::stop_signal_fd();
    int port = 0;
    const int listen_fd = echo_ref::listen_on(opts.host, opts.port, 0, &port);
    {
        server srv(opts, listen_fd, signal_fd);
        std::printf("listening on %s:%d\n", opts.host.c_str(), port);
        std::fflush(stdout);
        srv.run();
    }
    close(listen_fd);
    close(signal_fd);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double user = static_cast<double>(usage.ru_utime.tv_sec) + usage.ru_utime.tv_usec / 1e6;
    const double sys = static_cast<double>(usage.ru_stime.tv_sec) + usage.ru_stime.tv_usec / 1e6;
    std::fprintf(stderr, "cpu_seconds=%.3f user=%.3f sys=%.3f\n", user + sys, user, sys);
    return 0;
}
