// coreloop-httpd's server: an HTTP/1.1 protocol (keep-alive, pipelining, TechEmpower's
// /plaintext and /json, static files under /files/ with sendfile) that any shard can serve.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <coreloop/net/server.hpp>

namespace coreloop::httpd {

/// What the server serves and its limits.
struct server_config {
    /// The directory behind GET /files/...; empty: /files/ answers 404.
    std::string root;
    /// The largest request head (request line and headers) accepted; a longer one gets 413
    /// and the connection is closed. Request bodies are refused (413) unless empty.
    std::size_t max_request_bytes = 8192;
    /// A connection with no request in progress and nothing to send is closed after this.
    std::chrono::milliseconds idle_timeout{30000};
};

/// A factory for the protocol of one connection, to pass to create_server or
/// sharded_server::start. Copies of it may be made on each shard; the config is copied in.
/// Shard: the protocols it makes live on the shard that calls it.
net::protocol_factory make_protocol_factory(server_config config);

} // namespace coreloop::httpd
