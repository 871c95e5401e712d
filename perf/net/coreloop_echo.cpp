// coreloop's TCP echo servers for the comparison against the hand-written io_uring loop
// (compare_echo.sh): on protocols or on streams, on one shard or on several (a listener per
// shard on one port). SIGTERM or SIGINT stops it; it then prints its CPU time on stderr.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <sys/resource.h>

#include <bench/echo_handlers.hpp>
#include <coreloop/engine.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/net/server.hpp>
#include <coreloop/net/sharded_server.hpp>
#include <coreloop/net/streams.hpp>
#include <coreloop/sync/event.hpp>

namespace {

using namespace coreloop;

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string api = "protocol";
    unsigned shards = 1;
    std::string cpuset;
};

coro<void> echo_stream(std::shared_ptr<net::stream_reader> reader,
                       std::shared_ptr<net::stream_writer> writer) {
    return perf::echo_stream(std::move(reader), std::move(writer), 64 * 1024);
}

coro<void> serve(const options& opts) {
    net::sharded_server srv;
    const net::sharded_server_options server_opts;
    if (opts.api == "streams") {
        co_await srv.start(echo_stream, opts.host, opts.port, server_opts,
                           net::default_stream_limit);
    } else {
        net::protocol_factory factory = [] { return std::make_shared<perf::echo_protocol>(); };
        co_await srv.start(std::move(factory), opts.host, opts.port, server_opts);
    }
    std::printf("listening on %s:%u\n", opts.host.c_str(), srv.port());
    std::fflush(stdout);
    // Serve until SIGTERM/SIGINT: the engine then cancels this task.
    sync::event never;
    std::exception_ptr stopped;
    try {
        co_await never.wait();
    } catch (const cancelled_error&) {
        stopped = std::current_exception();
    }
    co_await srv.stop();
    std::rethrow_exception(stopped);
}

int usage(const char* argv0) {
    std::fprintf(stderr,
                 "usage: %s [--host ADDR] [--port P] [--api protocol|streams] [--shards N] "
                 "[--cpuset LIST | --cpu N]\n",
                 argv0);
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    options opts;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (value == nullptr) {
            return usage(argv[0]);
        }
        if (arg == "--host") {
            opts.host = value;
        } else if (arg == "--port") {
            opts.port = static_cast<std::uint16_t>(std::atoi(value));
        } else if (arg == "--api" &&
                   (std::strcmp(value, "protocol") == 0 || std::strcmp(value, "streams") == 0)) {
            opts.api = value;
        } else if (arg == "--shards") {
            opts.shards = static_cast<unsigned>(std::atoi(value));
        } else if (arg == "--cpuset" || arg == "--cpu") {
            opts.cpuset = value;
        } else {
            return usage(argv[0]);
        }
        ++i;
    }
    engine_options eopts;
    eopts.shards = opts.shards;
    eopts.cpuset = opts.cpuset;
    engine e(eopts);
    int status = 0;
    try {
        e.run([&]() -> coro<void> { co_await serve(opts); });
    } catch (const system_exit&) {
    } catch (const keyboard_interrupt&) {
    } catch (const std::exception& err) {
        std::fprintf(stderr, "coreloop_echo: %s\n", err.what());
        status = 1;
    }
    ::rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    const double user = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6;
    const double sys = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6;
    std::fprintf(stderr, "cpu_seconds=%.3f user=%.3f sys=%.3f\n", user + sys, user, sys);
    return status;
}
