// The default sink writes one line to stderr in a single write(2), so lines from several
// shards do not interleave.
#include <coreloop/log.hpp>

#include <string>
#include <utility>

#include <unistd.h>

namespace coreloop {
namespace {

log_sink& current_sink() {
    static log_sink sink;
    return sink;
}

std::string_view level_name(log_level level) noexcept {
    switch (level) {
    case log_level::debug:
        return "debug";
    case log_level::info:
        return "info";
    case log_level::warning:
        return "warning";
    case log_level::error:
        return "error";
    }
    return "?";
}

} // namespace

log_sink set_log_sink(log_sink sink) {
    return std::exchange(current_sink(), std::move(sink));
}

void log(log_level level, std::string_view message) noexcept {
    try {
        if (auto& sink = current_sink()) {
            sink(level, message);
            return;
        }
        std::string line = "coreloop ";
        line += level_name(level);
        line += ": ";
        line += message;
        line += '\n';
        // Best effort: a failed diagnostic write has nowhere else to go.
        [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
    } catch (...) {
        // Logging never throws (it runs in destructors and loop dispatch).
    }
}

} // namespace coreloop
