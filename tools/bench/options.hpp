// coreloop-bench's command line: the mode, the target, the shards, the load's shape and the
// output. parse_options() checks everything before a run starts.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace coreloop::bench {

enum class mode { echo, http, connect };

/// A bad command line; main prints what() and exits with status 2.
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct bench_options {
    enum mode mode = mode::echo;
    /// The server to load; nullopt: the embedded one (a coreloop server on this process's
    /// first server_shards shards, driven from the others).
    std::optional<std::string> target_host;
    std::uint16_t target_port = 0;
    /// Shards in all (nullopt: one per CPU of cpuset) and how many of them serve when the
    /// server is embedded (nullopt: half, at least one).
    std::optional<unsigned> shards;
    std::optional<unsigned> server_shards;
    std::string cpuset;
    unsigned connections = 64;
    std::chrono::milliseconds duration{5000};
    std::chrono::milliseconds warmup{1000};
    /// Bytes per echo message (echo and connect modes).
    std::size_t size = 64;
    /// Requests in flight per connection (echo and http).
    unsigned pipeline = 1;
    /// Requests per second over all connections; 0: closed loop (send when a response
    /// frees a slot).
    double rate = 0;
    /// A request unanswered this long counts as a timeout and its connection is replaced.
    std::chrono::milliseconds timeout{2000};
    /// http mode: the paths requested, in turn on each connection.
    std::vector<std::string> paths;
    /// The target server's process, for its CPU time per request (/proc/<pid>/stat).
    int server_pid = 0;
    /// The embedded echo server's API: protocols (the default) or streams.
    bool server_streams = false;
    bool json = false;
    /// --help: print usage_text() and exit 0.
    bool help = false;
};

/// Parses argv (without argv[0]). Errors: usage_error naming the bad option or value.
bench_options parse_options(const std::vector<std::string>& args);

/// The --help text.
std::string usage_text();

const char* to_string(mode m) noexcept;

} // namespace coreloop::bench
