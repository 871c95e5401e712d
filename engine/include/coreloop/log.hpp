// The library's diagnostic output: one pluggable sink, stderr by default.
#pragma once

#include <functional>
#include <string_view>

namespace coreloop {

enum class log_level { debug, info, warning, error };

/// Receives every diagnostic line the library emits (fallbacks, unhandled exceptions,
/// debug-mode warnings). Called on the thread that logs; must be thread-safe.
using log_sink = std::function<void(log_level, std::string_view)>;

/// Replaces the sink; an empty function restores the default (stderr). Returns the old one.
/// Shard: any thread; do not race it with logging.
log_sink set_log_sink(log_sink sink);

/// Emits one line through the current sink.
void log(log_level level, std::string_view message) noexcept;

} // namespace coreloop
