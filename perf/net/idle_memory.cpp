// Memory per idle connection: a coreloop echo server (protocols or streams) on one shard
// accepts N connections from a plain client in a child process; each connection exchanges one
// message and then stays idle. The server's user-space cost per connection is the growth of
// its resident set between "listening" and "N idle connections", divided by N (kernel socket
// memory is not in the RSS).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bench/echo_handlers.hpp>
#include <coreloop/engine.hpp>
#include <coreloop/net/server.hpp>
#include <coreloop/net/streams.hpp>
#include <coreloop/sleep.hpp>

namespace {

using namespace coreloop;

long resident_bytes() {
    long pages = 0;
    long resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) {
            resident = 0;
        }
        std::fclose(f);
    }
    return resident * ::sysconf(_SC_PAGESIZE);
}

coro<void> echo_stream(std::shared_ptr<net::stream_reader> reader,
                       std::shared_ptr<net::stream_writer> writer) {
    return perf::echo_stream(std::move(reader), std::move(writer), 4096);
}

/// Sends 16 MiB through one connection and reads the echo: every shared receive buffer of the
/// server's shard gets used once, so that the pool (a fixed cost per shard, 8 MiB by default)
/// is resident before the measurement starts.
bool warm_up(const sockaddr_in& sa) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) < 0) {
        return false;
    }
    std::vector<char> block(64 * 1024, 'w');
    bool ok = true;
    for (int i = 0; i < 256 && ok; ++i) {
        ok = ::send(fd, block.data(), block.size(), 0) == static_cast<ssize_t>(block.size()) &&
             ::recv(fd, block.data(), block.size(), MSG_WAITALL) ==
                     static_cast<ssize_t>(block.size());
    }
    ::close(fd);
    return ok;
}

/// The client, in a child process so that only the server's ends count against this process's
/// descriptors: reads the port from `control`, warms the server up and says "w", then on
/// "g" opens n connections that each exchange one 64-byte message, reports "1" (or "0" on
/// failure), and holds them until `control` closes.
[[noreturn]] void run_clients(int control, std::size_t n) {
    ::fcntl(control, F_SETFL, 0); // the pair was made non-blocking; the child blocks
    std::uint16_t port = 0;
    if (::read(control, &port, sizeof port) != sizeof port) {
        ::_exit(1);
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char ok = warm_up(sa) ? 'w' : '0';
    if (::write(control, &ok, 1) != 1 || ok != 'w' || ::read(control, &ok, 1) != 1) {
        ::_exit(1);
    }
    char msg[64] = {};
    ok = '1';
    for (std::size_t i = 0; i < n; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 ||
            ::send(fd, msg, sizeof msg, 0) != sizeof msg ||
            ::recv(fd, msg, sizeof msg, MSG_WAITALL) != sizeof msg) {
            std::fprintf(stderr, "client %zu: %s\n", i, std::strerror(errno));
            ok = '0';
            break;
        }
    }
    [[maybe_unused]] auto w = ::write(control, &ok, 1);
    [[maybe_unused]] auto r = ::read(control, &ok, 1); // returns when the parent closes
    ::_exit(0);
}

coro<net::server> echo_server(std::string api) {
    if (api == "streams") {
        co_return co_await net::start_server(echo_stream, "127.0.0.1", 0);
    }
    net::protocol_factory factory = [] { return std::make_shared<perf::echo_protocol>(); };
    co_return co_await net::create_server(std::move(factory), "127.0.0.1", 0);
}

coro<void> measure(std::string api, std::size_t n, coreloop::socket& control) {
    net::server srv = co_await echo_server(api);
    std::uint16_t port = srv.sockets()[0].getsockname().port();
    event_loop& loop = get_running_loop();
    co_await loop.sock_sendall(control, std::as_bytes(std::span(&port, 1)));
    if (co_await loop.sock_recv(control, 1) != "w") {
        std::fprintf(stderr, "the warm-up failed\n");
        co_return;
    }
    co_await sleep(std::chrono::milliseconds(100)); // the warm-up connection is gone
    const long before = resident_bytes();
    co_await loop.sock_sendall(control, "g");
    const std::string ok = co_await loop.sock_recv(control, 1);
    while (ok == "1" && srv.client_count() < n) {
        co_await sleep(std::chrono::milliseconds(5));
    }
    co_await sleep(std::chrono::milliseconds(200)); // every echo sent, every buffer back
    const long after = resident_bytes();
    std::printf("%-8s connections=%zu rss_before=%.1fMiB rss_after=%.1fMiB "
                "bytes_per_connection=%.0f\n",
                api.c_str(), srv.client_count(), before / 1048576.0, after / 1048576.0,
                static_cast<double>(after - before) / static_cast<double>(n));
    control.close(); // the client exits and its connections close
    srv.close();
    co_await srv.wait_closed();
}

} // namespace

int main(int argc, char** argv) {
    const std::string api = argc > 1 ? argv[1] : "protocol";
    const std::size_t n = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 10000;
    ::rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < n + 100) {
        std::fprintf(stderr, "need %zu descriptors, have %lu\n", n + 100,
                     static_cast<unsigned long>(lim.rlim_cur));
        return 1;
    }
    // Forked before the engine starts any thread.
    auto [ours, theirs] = coreloop::socket::pair();
    const pid_t child = ::fork();
    if (child == 0) {
        ours.close();
        run_clients(theirs.detach(), n);
    }
    theirs.close();
    engine_options opts;
    opts.shards = 1;
    engine e(opts);
    e.run([&]() -> coro<void> { co_await measure(api, n, ours); });
    ::waitpid(child, nullptr, 0);
    return 0;
}
