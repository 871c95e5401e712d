// coreloop-bench's option parser: "--name value" or "--name=value", every value checked.
#include "bench/options.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <map>

namespace coreloop::bench {
namespace {

template <class T>
T parse_number(const std::string& name, const std::string& text, T low, T high) {
    T value{};
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || value < low || value > high) {
        throw usage_error("--" + name + ": expected a number from " + std::to_string(low) + " to " +
                          std::to_string(high) + ", got '" + text + "'");
    }
    return value;
}

/// Seconds, fractional allowed ("0.5", "10"), as milliseconds.
std::chrono::milliseconds
parse_seconds(const std::string& name, const std::string& text, double low) {
    const double seconds = parse_number<double>(name, text, low, 86400.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

void parse_target(bench_options& o, const std::string& text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        throw usage_error("--target: expected host:port, got '" + text + "'");
    }
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2); // [::1]:8080
    }
    o.target_host = host;
    o.target_port = parse_number<std::uint16_t>("target", text.substr(colon + 1), 1, 65535);
}

enum mode parse_mode(const std::string& text) {
    if (text == "echo") {
        return mode::echo;
    }
    if (text == "http") {
        return mode::http;
    }
    if (text == "connect") {
        return mode::connect;
    }
    throw usage_error("unknown mode '" + text + "' (echo, http or connect)");
}

using setter = std::function<void(bench_options&, const std::string&)>;

const std::map<std::string, setter>& setters() {
    static const std::map<std::string, setter> table = {
            {"target", parse_target},
            {"shards",
             [](bench_options& o, const std::string& v) {
                 o.shards = parse_number<unsigned>("shards", v, 1, 1024);
             }},
            {"server-shards",
             [](bench_options& o, const std::string& v) {
                 o.server_shards = parse_number<unsigned>("server-shards", v, 1, 1024);
             }},
            {"cpuset", [](bench_options& o, const std::string& v) { o.cpuset = v; }},
            {"connections",
             [](bench_options& o, const std::string& v) {
                 o.connections = parse_number<unsigned>("connections", v, 1, 1000000);
             }},
            {"duration",
             [](bench_options& o, const std::string& v) {
                 o.duration = parse_seconds("duration", v, 0.01);
             }},
            {"warmup", [](bench_options& o,
                          const std::string& v) { o.warmup = parse_seconds("warmup", v, 0); }},
            {"size",
             [](bench_options& o, const std::string& v) {
                 o.size = parse_number<std::size_t>("size", v, 1, 64 * 1024 * 1024);
             }},
            {"pipeline",
             [](bench_options& o, const std::string& v) {
                 o.pipeline = parse_number<unsigned>("pipeline", v, 1, 4096);
             }},
            {"rate",
             [](bench_options& o, const std::string& v) {
                 o.rate = parse_number<double>("rate", v, 0.001, 1e9);
             }},
            {"timeout",
             [](bench_options& o, const std::string& v) {
                 o.timeout = parse_seconds("timeout", v, 0.001);
             }},
            {"path",
             [](bench_options& o, const std::string& v) {
                 if (v.empty() || v.front() != '/' ||
                     v.find_first_of(" \r\n\t") != std::string::npos) {
                     throw usage_error("--path: expected an absolute path without spaces, got '" +
                                       v + "'");
                 }
                 o.paths.push_back(v);
             }},
            {"server-pid",
             [](bench_options& o, const std::string& v) {
                 o.server_pid = parse_number<int>("server-pid", v, 1, 1 << 30);
             }},
            {"server-api",
             [](bench_options& o, const std::string& v) {
                 if (v != "protocol" && v != "streams") {
                     throw usage_error("--server-api: expected protocol or streams, got '" + v +
                                       "'");
                 }
                 o.server_streams = v == "streams";
             }},
    };
    return table;
}

void check(const bench_options& o) {
    if (o.target_host && o.server_shards) {
        throw usage_error("--server-shards applies to the embedded server, not to --target");
    }
    if (o.shards && o.server_shards && *o.shards > 1 && *o.server_shards >= *o.shards) {
        throw usage_error("--server-shards must leave at least one of the --shards to the "
                          "clients");
    }
    if (!o.paths.empty() && o.mode != mode::http) {
        throw usage_error("--path applies to the http mode only");
    }
    if (o.pipeline > 1 && o.mode == mode::connect) {
        throw usage_error("--pipeline does not apply to the connect mode (one round trip per "
                          "connection)");
    }
}

} // namespace

bench_options parse_options(const std::vector<std::string>& args) {
    bench_options o;
    bool have_mode = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "-h" || arg == "--help") {
            o.help = true;
            return o;
        }
        if (arg == "--json") {
            o.json = true;
            continue;
        }
        if (arg.rfind("--", 0) != 0) {
            if (have_mode) {
                throw usage_error("unexpected argument '" + arg + "'");
            }
            o.mode = parse_mode(arg);
            have_mode = true;
            continue;
        }
        const std::size_t eq = arg.find('=');
        const std::string name =
                arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        const auto it = setters().find(name);
        if (it == setters().end()) {
            throw usage_error("unknown option '--" + name + "' (see --help)");
        }
        std::string value;
        if (eq != std::string::npos) {
            value = arg.substr(eq + 1);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            throw usage_error("--" + name + " needs a value");
        }
        it->second(o, value);
    }
    if (!have_mode) {
        throw usage_error("missing the mode: echo, http or connect (see --help)");
    }
    check(o);
    if (o.paths.empty()) {
        o.paths.emplace_back("/plaintext");
    }
    return o;
}

const char* to_string(mode m) noexcept {
    switch (m) {
    case mode::echo:
        return "echo";
    case mode::http:
        return "http";
    case mode::connect:
        return "connect";
    }
    return "?";
}

std::string usage_text() {
    return R"(usage: coreloop-bench MODE [options]

Modes:
  echo        ping-pong of --size-byte messages, --pipeline in flight per connection
  http        HTTP/1.1 keep-alive GET of the --path list, --pipeline in flight per connection
  connect     connection churn: connect, one --size-byte round trip, close

Without --target, coreloop-bench starts its own coreloop server (echo, or coreloop-httpd's
handler for http) on the first --server-shards shards, on 127.0.0.1, and loads it from the
other shards.

Options:
  --target HOST:PORT    load this server instead of the embedded one
  --shards N            shards in all (default: one per CPU of --cpuset)
  --server-shards N     shards of the embedded server (default: half, at least one)
  --cpuset LIST         CPUs to run on, e.g. 0-3,8 (default: those this process may use)
  --connections N       connections in all, spread over the client shards (default 64)
  --duration S          measured seconds (default 5)
  --warmup S            seconds of load before measuring (default 1)
  --size B              bytes per echo message (default 64)
  --pipeline K          requests in flight per connection (default 1)
  --rate R              open loop: R requests/s in all, latency measured from each request's
                        intended send time (default: closed loop)
  --timeout S           a request unanswered this long is a timeout error (default 2)
  --path P              http: a path to request (repeat for several; default /plaintext)
  --server-pid PID      the target's process, for its CPU time per request
  --server-api A        the embedded echo server on 'protocol' (default) or 'streams'
  --json                print the result as one JSON object instead of the table
  -h, --help            this text

Exit status: 0 after a run (errors are counted, not fatal), 1 if the run could not start,
2 for a bad command line.
)";
}

} // namespace coreloop::bench
