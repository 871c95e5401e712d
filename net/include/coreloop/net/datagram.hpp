// create_datagram_endpoint: a UDP (or Unix datagram) socket with a datagram transport and the
// protocol a factory makes (asyncio loop.create_datagram_endpoint).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <sys/socket.h>

#include <coreloop/coro.hpp>
#include <coreloop/net/connection.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/net/transport.hpp>
#include <coreloop/socket.hpp>

namespace coreloop::net {

/// Options of create_datagram_endpoint (asyncio's keyword arguments).
struct datagram_options {
    int family = AF_UNSPEC;
    int proto = 0;
    int flags = 0;
    /// SO_REUSEPORT on the local socket.
    bool reuse_port = false;
    /// SO_BROADCAST: sending to broadcast addresses.
    bool allow_broadcast = false;
    /// Use this datagram socket (bound and/or connected already) instead of making one.
    std::optional<socket> sock = std::nullopt;
};

/// A datagram transport and its protocol.
template <class P>
using datagram_endpoint = std::pair<std::shared_ptr<datagram_transport>, std::shared_ptr<P>>;

namespace detail {

/// Resolves and binds `local`, connects to `remote` (either may be absent).
coro<socket> open_datagram_socket(std::optional<host_port> local,
                                  std::optional<host_port> remote,
                                  datagram_options opts);
/// Starts the transport and waits until the protocol's connection_made() has run.
coro<std::shared_ptr<datagram_transport>>
start_datagram_transport(socket sock, std::shared_ptr<datagram_protocol> p);

} // namespace detail

/// Makes a datagram endpoint bound to `local_addr` and/or connected to `remote_addr`, and
/// runs a protocol from `factory()` (a shared_ptr to a datagram_protocol) over it. On a
/// connected endpoint sendto() takes no address and only the peer's datagrams arrive.
/// Errors: std::invalid_argument with neither address nor sock; io_error from bind or
/// connect; gai_error when a host does not resolve.
/// Cancellation: no socket is left open.
/// Shard: inside a task; the transport belongs to the running loop.
template <class Factory, class P = typename std::invoke_result_t<Factory&>::element_type>
coro<datagram_endpoint<P>> create_datagram_endpoint(Factory factory,
                                                    std::optional<host_port> local_addr,
                                                    std::optional<host_port> remote_addr,
                                                    datagram_options opts) {
    socket sock = co_await detail::open_datagram_socket(std::move(local_addr),
                                                        std::move(remote_addr), std::move(opts));
    std::shared_ptr<P> p = factory();
    std::shared_ptr<datagram_transport> t =
            co_await detail::start_datagram_transport(std::move(sock), p);
    co_return datagram_endpoint<P>(std::move(t), std::move(p));
}

// An overload rather than a default argument: GCC 12 destroys a defaulted class-type argument
// twice when the call is part of a co_await expression.
template <class Factory, class P = typename std::invoke_result_t<Factory&>::element_type>
coro<datagram_endpoint<P>> create_datagram_endpoint(Factory factory,
                                                    std::optional<host_port> local_addr,
                                                    std::optional<host_port> remote_addr) {
    return create_datagram_endpoint(std::move(factory), std::move(local_addr),
                                    std::move(remote_addr), datagram_options{});
}

} // namespace coreloop::net
