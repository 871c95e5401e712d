// coreloop-httpd: a small HTTP/1.1 server, one listener per shard. See docs/httpd.md.
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include <coreloop/engine.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/net/sharded_server.hpp>
#include <coreloop/sync/event.hpp>

#include "httpd/http_server.hpp"

namespace {

using namespace coreloop;

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::optional<unsigned> shards;
    std::string cpuset;
    httpd::server_config config;
};

constexpr const char* usage = R"(usage: coreloop-httpd [options]

Serves GET and HEAD of /plaintext, /json and /files/... (from --root) over HTTP/1.1 with
keep-alive and pipelining, one listener per shard on the same port (SO_REUSEPORT).

  --host ADDR               address to listen on (default 127.0.0.1; "" for all)
  --port P                  port (default 8080; 0 picks a free one)
  --shards N                shards (default: one per CPU of --cpuset)
  --cpuset LIST             CPUs to run on, e.g. 0-3 (default: those this process may use)
  --root DIR                directory served under /files/ (default: none, /files/ is 404)
  --max-request-bytes N     largest request head (default 8192; larger gets 413)
  --idle-timeout S          close connections idle this many seconds (default 30)
  -h, --help                this text
)";

struct usage_error {
    std::string message;
};

template <class T>
T number(const std::string& name, const std::string& text, T low, T high) {
    T value{};
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value < low || value > high) {
        throw usage_error{name + ": expected a number from " + std::to_string(low) + " to " +
                          std::to_string(high) + ", got '" + text + "'"};
    }
    return value;
}

options parse(const std::vector<std::string>& args) {
    options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& name = args[i];
        if (i + 1 >= args.size()) {
            throw usage_error{name.rfind("--", 0) == 0 ? name + " needs a value"
                                                       : "unexpected argument '" + name + "'"};
        }
        const std::string& value = args[++i];
        if (name == "--host") {
            o.host = value;
        } else if (name == "--port") {
            o.port = number<std::uint16_t>(name, value, 0, 65535);
        } else if (name == "--shards") {
            o.shards = number<unsigned>(name, value, 1, 1024);
        } else if (name == "--cpuset") {
            o.cpuset = value;
        } else if (name == "--root") {
            o.config.root = value;
        } else if (name == "--max-request-bytes") {
            o.config.max_request_bytes = number<std::size_t>(name, value, 64, 1 << 20);
        } else if (name == "--idle-timeout") {
            const double seconds = number<double>(name, value, 0.001, 86400);
            o.config.idle_timeout = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
        } else {
            throw usage_error{"unknown option '" + name + "' (see --help)"};
        }
    }
    return o;
}

coro<void> serve(const options& o) {
    net::sharded_server server;
    const net::sharded_server_options server_options{.backlog = 4096};
    co_await server.start(httpd::make_protocol_factory(o.config), o.host, o.port, server_options);
    std::printf("listening on %s:%u (%u shards)\n", o.host.c_str(), server.port(), shard_count());
    std::fflush(stdout);
    sync::event never;
    std::exception_ptr stopped;
    try {
        co_await never.wait(); // until SIGINT or SIGTERM cancels this task
    } catch (const cancelled_error&) {
        stopped = std::current_exception();
    }
    co_await server.stop();
    std::rethrow_exception(stopped);
}

} // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (const std::string& a : args) {
        if (a == "-h" || a == "--help") {
            std::fputs(usage, stdout);
            return 0;
        }
    }
    options o;
    try {
        o = parse(args);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "coreloop-httpd: %s\n", e.message.c_str());
        return 2;
    }
    engine_options engine_opts;
    engine_opts.shards = o.shards;
    engine_opts.cpuset = o.cpuset;
    try {
        engine e(engine_opts);
        e.run([&]() -> coro<void> { co_await serve(o); });
    } catch (const keyboard_interrupt&) {
    } catch (const system_exit&) {
    } catch (const std::exception& e) {
        std::fprintf(stderr, "coreloop-httpd: %s\n", e.what());
        return 1;
    }
    return 0;
}
