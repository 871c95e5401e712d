// Echo load client on raw io_uring, no coreloop (issue #6): N connections keep K messages of B
// bytes in flight for a warm-up and a measured window, then print one JSON line (rate, latency
// percentiles, errors, and the server's CPU: own via --server-pid, its core's via --server-cpu).
#include "echo_common.hpp"

#include <bench/cpu_time.hpp>
#include <bench/histogram.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using echo_ref::get_sqe;

constexpr unsigned short buffer_group = 0;
constexpr char pattern = 'e';

enum class op : std::uint8_t { connect = 1, recv, send };

// user_data: op in bits 56..63, connection index in bits 0..31.
std::uint64_t tag(op kind, std::size_t index) {
    return std::uint64_t{static_cast<std::uint8_t>(kind)} << 56 | index;
}

struct options {
    std::string host = "127.0.0.1";
    int port = 0;
    int connections = 1;
    unsigned size = 64;
    unsigned pipeline = 1;
    double duration = 3;
    double warmup = 1;
    int cpu = -1;
    int server_pid = 0;
    int server_cpu = -1;
};

struct connection {
    int fd = -1;
    bool alive = false;
    bool sending = false;
    std::uint64_t owed = 0;            // bytes of queued messages not yet sent
    std::uint64_t partial = 0;         // bytes received toward the oldest outstanding message
    std::uint64_t queued = 0;          // messages queued since the start
    std::uint64_t echoed = 0;          // messages fully echoed since the start
    std::vector<std::uint64_t> stamps; // queue time of message m at m % pipeline
};

class client {
public:
    explicit client(const options& opts)
        : opts_(opts)
        , ring_(1024, 16384, "echo_client")
        , bufs_(ring_.get(), 4096, 4096, buffer_group)
        , conns_(static_cast<std::size_t>(opts.connections))
        , message_bytes_(std::size_t{opts.size} * opts.pipeline, pattern) {}
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client() {
        ring_.exit();
        for (const connection& conn : conns_) {
            if (conn.fd >= 0) {
                close(conn.fd);
            }
        }
    }

    void run() {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(opts_.port));
        if (inet_pton(AF_INET, opts_.host.c_str(), &addr.sin_addr) != 1) {
            std::fprintf(stderr, "bad --target host %s (IPv4 only)\n", opts_.host.c_str());
            std::exit(2);
        }
        now_ = echo_ref::now_ns();
        for (std::size_t i = 0; i < conns_.size(); ++i) {
            start_connect(i, addr);
        }
        const std::uint64_t window_start = now_ + static_cast<std::uint64_t>(opts_.warmup * 1e9);
        const std::uint64_t window_end =
                window_start + static_cast<std::uint64_t>(opts_.duration * 1e9);
        while (now_ < window_end) {
            if (!measuring_ && now_ >= window_start) {
                begin_window();
            }
            const std::uint64_t wake = measuring_ ? window_end : window_start;
            const std::uint64_t wait = std::min<std::uint64_t>(wake - now_, 100'000'000);
            __kernel_timespec ts{.tv_sec = 0, .tv_nsec = static_cast<long long>(wait)};
            bufs_.publish();
            io_uring_cqe* first = nullptr;
            const int rc = io_uring_submit_and_wait_timeout(ring_.get(), &first, 1, &ts, nullptr);
            if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
                echo_ref::die("io_uring_submit_and_wait_timeout", -rc);
            }
            now_ = echo_ref::now_ns();
            unsigned head = 0;
            unsigned seen = 0;
            io_uring_cqe* cqe = nullptr;
            io_uring_for_each_cqe(ring_.get(), head, cqe) {
                dispatch(cqe);
                ++seen;
            }
            io_uring_cq_advance(ring_.get(), seen);
        }
        report(); // the window ends with the last batch handled, at now_
    }

private:
    void begin_window() {
        measuring_ = true;
        window_start_ = now_;
        messages_ = 0;
        latencies_.reset();
        client_cpu_ = coreloop::bench::own_cpu_seconds();
        server_cpu_ =
                opts_.server_pid > 0 ? coreloop::bench::process_cpu_seconds(opts_.server_pid) : -1;
        cpu_busy_ =
                opts_.server_cpu >= 0 ? coreloop::bench::cpu_busy_seconds(opts_.server_cpu) : -1;
    }

    void report() {
        const double server_cpu =
                opts_.server_pid > 0
                        ? coreloop::bench::process_cpu_seconds(opts_.server_pid) - server_cpu_
                        : -1;
        const double client_cpu = coreloop::bench::own_cpu_seconds() - client_cpu_;
        const double seconds = static_cast<double>(now_ - window_start_) / 1e9;
        const auto alive = std::count_if(conns_.begin(), conns_.end(),
                                         [](const connection& c) { return c.alive; });
        std::printf("{\"messages\": %llu, \"seconds\": %.3f, \"msgs_per_sec\": %.0f, "
                    "\"p50_us\": %.1f, \"p99_us\": %.1f, \"errors\": %llu, \"alive\": %ld, "
                    "\"client_cpu_seconds\": %.3f",
                    static_cast<unsigned long long>(messages_), seconds,
                    static_cast<double>(messages_) / seconds,
                    static_cast<double>(latencies_.quantile_ns(0.50)) / 1e3,
                    static_cast<double>(latencies_.quantile_ns(0.99)) / 1e3,
                    static_cast<unsigned long long>(errors_), static_cast<long>(alive), client_cpu);
        if (opts_.server_pid > 0) {
            std::printf(", \"server_cpu_seconds\": %.3f", server_cpu);
        }
        if (opts_.server_cpu >= 0) {
            std::printf(", \"server_cpu_busy_seconds\": %.3f",
                        coreloop::bench::cpu_busy_seconds(opts_.server_cpu) - cpu_busy_);
        }
        std::printf("}\n");
        std::fflush(stdout);
    }

    void start_connect(std::size_t index, const sockaddr_in& addr) {
        connection& conn = conns_[index];
        conn.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (conn.fd < 0) {
            ++errors_;
            return;
        }
        conn.stamps.resize(opts_.pipeline);
        io_uring_sqe* sqe = get_sqe(ring_.get());
        io_uring_prep_connect(sqe, conn.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
        io_uring_sqe_set_data64(sqe, tag(op::connect, index)); // `addr` lives until run() ends
    }

    void dispatch(const io_uring_cqe* cqe) {
        const std::uint64_t data = io_uring_cqe_get_data64(cqe);
        const std::size_t index = data & 0xffff'ffffU;
        connection& conn = conns_[index];
        switch (static_cast<op>(data >> 56)) {
        case op::connect:
            on_connect(conn, index, cqe->res);
            break;
        case op::recv:
            on_recv(conn, index, cqe);
            break;
        case op::send:
            conn.sending = false;
            if (cqe->res <= 0) {
                fail(conn);
            } else {
                conn.owed -= static_cast<std::uint64_t>(cqe->res);
            }
            kick_send(conn, index);
            break;
        }
    }

    void on_connect(connection& conn, std::size_t index, int res) {
        if (res < 0) {
            ++errors_;
            return;
        }
        const int one = 1;
        setsockopt(conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conn.alive = true;
        arm_recv(conn, index);
        for (unsigned i = 0; i < opts_.pipeline; ++i) {
            queue_message(conn);
        }
        kick_send(conn, index);
    }

    void arm_recv(const connection& conn, std::size_t index) {
        io_uring_sqe* sqe = get_sqe(ring_.get());
        io_uring_prep_recv_multishot(sqe, conn.fd, nullptr, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = buffer_group;
        io_uring_sqe_set_data64(sqe, tag(op::recv, index));
    }

    void on_recv(connection& conn, std::size_t index, const io_uring_cqe* cqe) {
        if ((cqe->flags & IORING_CQE_F_BUFFER) != 0) {
            const unsigned short bid = echo_ref::cqe_buffer_id(cqe);
            bufs_.taken();
            if (cqe->res > 0 && conn.alive) {
                const char* bytes = bufs_.data(bid);
                if (std::any_of(bytes, bytes + cqe->res, [](char c) { return c != pattern; })) {
                    ++errors_; // the server sent bytes it was not given
                }
                received(conn, static_cast<unsigned>(cqe->res));
            }
            bufs_.give_back(bid);
        }
        if (cqe->res <= 0 && cqe->res != -ENOBUFS) {
            fail(conn); // EOF or an error: an echo server never closes first
        } else if ((cqe->flags & IORING_CQE_F_MORE) == 0 && conn.alive) {
            arm_recv(conn, index); // ended (ENOBUFS, overflow): buffers are back by the submit
        }
        kick_send(conn, index);
    }

    void received(connection& conn, unsigned bytes) {
        conn.partial += bytes;
        while (conn.partial >= opts_.size && conn.echoed < conn.queued) {
            conn.partial -= opts_.size;
            const std::uint64_t sent_at = conn.stamps[conn.echoed % opts_.pipeline];
            ++conn.echoed;
            if (measuring_) {
                latencies_.record(now_ - sent_at);
                ++messages_;
            }
            queue_message(conn);
        }
    }

    void queue_message(connection& conn) {
        conn.stamps[conn.queued % opts_.pipeline] = now_;
        ++conn.queued;
        conn.owed += opts_.size;
    }

    void kick_send(connection& conn, std::size_t index) {
        if (!conn.alive || conn.sending || conn.owed == 0) {
            return;
        }
        // Every message has the same bytes, so one in-flight send of up to K messages from a
        // shared buffer keeps the stream in order even after a partial send.
        const std::size_t bytes = std::min<std::uint64_t>(conn.owed, message_bytes_.size());
        io_uring_sqe* sqe = get_sqe(ring_.get());
        io_uring_prep_send(sqe, conn.fd, message_bytes_.data(), bytes, MSG_NOSIGNAL);
        io_uring_sqe_set_data64(sqe, tag(op::send, index));
        conn.sending = true;
    }

    void fail(connection& conn) {
        if (conn.alive) {
            conn.alive = false;
            ++errors_;
            shutdown(conn.fd, SHUT_RDWR); // ends the armed recv; the fd closes at exit
        }
    }

    options opts_;
    echo_ref::uring ring_;
    echo_ref::buffer_ring bufs_;
    std::vector<connection> conns_;
    std::string message_bytes_;
    coreloop::bench::histogram latencies_;
    std::uint64_t now_ = 0;
    std::uint64_t window_start_ = 0;
    std::uint64_t messages_ = 0;
    std::uint64_t errors_ = 0;
    double client_cpu_ = 0;
    double server_cpu_ = -1;
    double cpu_busy_ = -1;
    bool measuring_ = false;
};

options parse(int argc, char** argv) {
    options opts;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&] { return std::string(echo_ref::option_value(argc, argv, &i)); };
        if (arg == "--target") {
            const std::string target = value();
            const auto colon = target.rfind(':');
            opts.host = target.substr(0, colon);
            opts.port = colon == std::string::npos ? 0 : std::atoi(target.c_str() + colon + 1);
        } else if (arg == "--connections") {
            opts.connections = std::atoi(value().c_str());
        } else if (arg == "--size") {
            opts.size = static_cast<unsigned>(std::atoi(value().c_str()));
        } else if (arg == "--pipeline") {
            opts.pipeline = static_cast<unsigned>(std::atoi(value().c_str()));
        } else if (arg == "--duration") {
            opts.duration = std::atof(value().c_str());
        } else if (arg == "--warmup") {
            opts.warmup = std::atof(value().c_str());
        } else if (arg == "--cpu") {
            opts.cpu = std::atoi(value().c_str());
        } else if (arg == "--server-pid") {
            opts.server_pid = std::atoi(value().c_str());
        } else if (arg == "--server-cpu") {
            opts.server_cpu = std::atoi(value().c_str());
        } else {
            opts.port = 0; // unknown option: fall through to the usage message
            break;
        }
    }
    if (opts.port <= 0 || opts.connections <= 0 || opts.size == 0 || opts.pipeline == 0 ||
        opts.duration <= 0 || opts.warmup < 0) {
        std::fprintf(stderr,
                     "usage: %s --target HOST:PORT [--connections N] [--size B] [--pipeline K]\n"
                     "       [--duration S] [--warmup S] [--cpu N] [--server-pid PID] "
                     "[--server-cpu N]\n",
                     argv[0]);
        std::exit(2);
    }
    return opts;
}

} // namespace

int main(int argc, char** argv) {
    const options opts = parse(argc, argv);
    echo_ref::pin_to_cpu(opts.cpu);
    client(opts).run();
    return 0;
}
