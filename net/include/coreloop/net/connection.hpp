// create_connection, create_unix_connection and connect_accepted_socket: a connected stream
// socket with a transport and the protocol a factory makes (asyncio's loop methods).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <sys/socket.h>

#include <coreloop/coro.hpp>
#include <coreloop/net/dns.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/net/transport.hpp>
#include <coreloop/socket.hpp>

namespace coreloop::net {

/// A (host, port) pair, as asyncio's address tuples.
using host_port = std::pair<std::string, std::uint16_t>;

/// Options of create_connection (asyncio's keyword arguments).
struct connection_options {
    int family = AF_UNSPEC;
    int proto = 0;
    int flags = 0;
    /// Use this connected socket instead of resolving and connecting.
    std::optional<socket> sock = std::nullopt;
    /// Bind to this local (host, port) before connecting.
    std::optional<host_port> local_addr = std::nullopt;
    /// Happy Eyeballs (RFC 8305): start the next address's attempt after this delay if the
    /// current one has not finished; asyncio recommends 250 ms. nullopt: one after another.
    std::optional<std::chrono::milliseconds> happy_eyeballs_delay = std::nullopt;
    /// Reorder addresses by family, this many of the first family first (0: as resolved, or
    /// 1 when happy_eyeballs_delay is set, as asyncio).
    int interleave = 0;
    /// When every attempt fails, throw an exception_group of all their errors instead of one.
    bool all_errors = false;
};

/// A transport and its protocol (asyncio's (transport, protocol) pair).
template <class P>
using connection = std::pair<std::shared_ptr<transport>, std::shared_ptr<P>>;

namespace detail {

/// Resolves host:port and connects to the first address that accepts, as asyncio does.
coro<socket> connect_tcp(std::string host, std::uint16_t port, connection_options opts);
/// connect_tcp's second half: tries `infos` in order (interleaved by family as opts say),
/// one after another or as a Happy Eyeballs race, binding to a matching `local` address if
/// any are given.
coro<socket> connect_to_any(std::vector<addrinfo_entry> infos,
                            std::vector<addrinfo_entry> local,
                            const connection_options& opts);
coro<socket> connect_unix(std::string path);
/// Starts a transport over a connected socket and waits until the protocol's
/// connection_made() has run. Cancellation: the transport is closed.
coro<std::shared_ptr<transport>> start_transport(socket sock, std::shared_ptr<base_protocol> p);

template <class Factory>
using protocol_of = typename std::invoke_result_t<Factory&>::element_type;

} // namespace detail

/// Connects to host:port and runs a protocol from `factory()` (a shared_ptr to a protocol or
/// buffered_protocol) over the connection (asyncio loop.create_connection).
/// Errors: connection_refused_error and the other io_errors of connect (the one error when
/// every address failed the same way, else an io_error naming them all, or an
/// exception_group with all_errors); gai_error when host does not resolve.
/// Cancellation: no socket or transport is left open.
/// Shard: inside a task; the transport belongs to the running loop.
template <class Factory, class P = detail::protocol_of<Factory>>
coro<connection<P>>
create_connection(Factory factory, std::string host, std::uint16_t port, connection_options opts) {
    socket sock = co_await detail::connect_tcp(std::move(host), port, std::move(opts));
    std::shared_ptr<P> p = factory();
    std::shared_ptr<transport> t = co_await detail::start_transport(std::move(sock), p);
    co_return connection<P>(std::move(t), std::move(p));
}
// An overload rather than a default argument: GCC 12 destroys a defaulted class-type argument
// twice when the call is part of a co_await expression.
template <class Factory, class P = detail::protocol_of<Factory>>
coro<connection<P>> create_connection(Factory factory, std::string host, std::uint16_t port) {
    return create_connection(std::move(factory), std::move(host), port, connection_options{});
}

/// The same over a Unix-domain stream socket at `path`.
template <class Factory, class P = detail::protocol_of<Factory>>
coro<connection<P>> create_unix_connection(Factory factory, std::string path) {
    socket sock = co_await detail::connect_unix(std::move(path));
    std::shared_ptr<P> p = factory();
    std::shared_ptr<transport> t = co_await detail::start_transport(std::move(sock), p);
    co_return connection<P>(std::move(t), std::move(p));
}

/// Wraps a socket accepted elsewhere (asyncio loop.connect_accepted_socket).
/// Errors: std::invalid_argument if sock is not an open stream socket.
template <class Factory, class P = detail::protocol_of<Factory>>
coro<connection<P>> connect_accepted_socket(Factory factory, socket sock) {
    std::shared_ptr<P> p = factory();
    std::shared_ptr<transport> t = co_await detail::start_transport(std::move(sock), p);
    co_return connection<P>(std::move(t), std::move(p));
}

} // namespace coreloop::net
