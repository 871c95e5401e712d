// The sharded half of coreloop-demo.
#pragma once

#include <chrono>

#include <coreloop/backend.hpp>

namespace coreloop::demo {

/// Starts an engine with one shard per CPU and has every shard call the others with
/// submit_to for `duration`, then prints the round trips per shard. Returns the exit code.
int run_shard_demo(backend io_backend, std::chrono::milliseconds duration);

} // namespace coreloop::demo
