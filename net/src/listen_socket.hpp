// The socket a TCP listener binds: the options asyncio sets before bind.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <coreloop/socket.hpp>

namespace coreloop::net::detail {

/// A stream socket of `family` with SO_REUSEADDR and SO_REUSEPORT as asked, and IPV6_V6ONLY
/// for AF_INET6: one socket per family, so "::" does not also take the IPv4 port (asyncio).
inline socket listener_socket(int family, int proto, bool reuse_address, bool reuse_port) {
    socket s = socket::create(family, SOCK_STREAM, proto);
    if (reuse_address) {
        s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    }
    if (reuse_port) {
        s.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
    }
    if (family == AF_INET6) {
        s.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1);
    }
    return s;
}

} // namespace coreloop::net::detail
