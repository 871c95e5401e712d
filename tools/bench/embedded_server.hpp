// The coreloop server that a run without --target loads: echo on protocols or on streams, or
// coreloop-httpd's server. One listener per server shard, all on one port (SO_REUSEPORT).
#pragma once

#include <cstdint>
#include <optional>

#include <coreloop/coro.hpp>
#include <coreloop/net/server.hpp>

#include "bench/options.hpp"

namespace coreloop::bench {

class embedded_server {
public:
    /// Listens on 127.0.0.1:`port` (0: a free one) and returns the port.
    /// Errors: io_error when the port cannot be bound.
    /// Shard: the shard that will serve.
    coro<std::uint16_t> listen(enum mode m, bool streams, std::uint16_t port);
    /// Stops listening, aborts the connections left and waits until they are gone.
    coro<void> stop();

private:
    std::optional<net::server> server_;
};

} // namespace coreloop::bench
