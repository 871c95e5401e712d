// The calling thread's place in an engine: its shard index and the shard count.
#pragma once

namespace coreloop::detail {

using shard_id = unsigned;

struct shard_context {
    shard_id id = 0;
    unsigned count = 1;
};

/// Set by the engine on each shard thread for the lifetime of its loop.
inline constinit thread_local shard_context tls_shard{};

} // namespace coreloop::detail
