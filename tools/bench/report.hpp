// The end of a run: a table for people, or one JSON object for scripts.
#pragma once

#include <string>

#include "bench/run.hpp"

namespace coreloop::bench {

/// The run's setup and figures as an aligned table, ending with a newline.
std::string format_table(const run_report& report);

/// The same as one JSON object on one line (latencies in microseconds; null where a figure
/// is unknown).
std::string format_json(const run_report& report);

} // namespace coreloop::bench
