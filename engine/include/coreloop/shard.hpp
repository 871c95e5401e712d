// Which shard the calling thread is, and how many there are (Seastar's this_shard_id and
// smp::count).
#pragma once

#include <coreloop/detail/shard_context.hpp>

namespace coreloop {

/// A shard's index: 0 .. shard_count() - 1.
using shard_id = detail::shard_id;

/// The shard the calling thread runs. 0 outside an engine (a plain loop is a one-shard
/// engine of its own), and on threads that are not shards.
/// Shard: any thread.
inline shard_id this_shard_id() noexcept {
    return detail::tls_shard.id;
}

/// The number of shards of the engine the calling thread belongs to; 1 outside an engine.
/// Shard: any thread.
inline unsigned shard_count() noexcept {
    return detail::tls_shard.count;
}

} // namespace coreloop
