// getaddrinfo and getnameinfo (asyncio loop.getaddrinfo / loop.getnameinfo): the C calls run
// on the loop's default executor; numeric addresses are answered inline, without a thread.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <netdb.h>
#include <sys/socket.h>

#include <coreloop/coro.hpp>
#include <coreloop/socket.hpp>

namespace coreloop::net {

/// One result of getaddrinfo (Python's 5-tuple: family, type, proto, canonname, sockaddr).
struct addrinfo_entry {
    int family;
    int type;
    int proto;
    std::string canonname;
    sock_address address;
};

/// The hints of getaddrinfo (Python's keyword arguments): AF_*, SOCK_*, IPPROTO_*, AI_*.
struct addrinfo_options {
    int family = AF_UNSPEC;
    int type = 0;
    int proto = 0;
    int flags = 0;
};

/// A failed name or service lookup (Python's socket.gaierror): code() is the EAI_* value
/// (negative on glibc), what() its gai_strerror message. Not an io_error: EAI_SYSTEM is
/// thrown as io_error instead. Shard: a plain value, usable on any thread.
class gai_error : public std::runtime_error {
public:
    explicit gai_error(int eai_code);
    int code() const noexcept { return code_; }

private:
    int code_;
};

/// Resolves host and port into socket addresses (asyncio loop.getaddrinfo). host "" means
/// none (the C call gets NULL: the loopback address, or the wildcard with AI_PASSIVE); port
/// is a number or a service name ("http", "8080"; "" means none, port 0). The C call runs on
/// the running loop's default executor, except when host is a numeric IPv4 or IPv6 address
/// (with a numeric or link-local-interface scope: "fe80::1%lo"), port is "" or decimal up to
/// 65535, flags hold at most AI_PASSIVE, AI_NUMERICHOST, AI_NUMERICSERV and AI_CANONNAME,
/// and type/proto are 0, TCP or UDP: those are answered inline, as glibc would answer them
/// (type 0 and proto 0 give stream/TCP, datagram/UDP and raw entries), with no thread used.
/// Errors: gai_error (EAI_NONAME for an unknown host, EAI_SERVICE, EAI_ADDRFAMILY, ...);
/// io_error for EAI_SYSTEM (errno in code()); std::runtime_error if the lookup needs the
/// executor and shutdown_default_executor() was called.
/// Cancellation: the lookup already running on its thread ends there and its result is
/// dropped (asyncio semantics); the thread holds no reference to the caller's objects.
/// Shard: inside a task on the loop's thread.
coro<std::vector<addrinfo_entry>>
getaddrinfo(std::string host, std::string port, addrinfo_options opts = {});
/// As above, with a numeric port.
coro<std::vector<addrinfo_entry>>
getaddrinfo(std::string host, std::uint16_t port, addrinfo_options opts = {});

/// The host and service names of addr (Python's socket.getnameinfo, asyncio
/// loop.getnameinfo), with NI_* flags. Runs on the default executor, except with both
/// NI_NUMERICHOST and NI_NUMERICSERV, where no lookup can happen and the call is made inline.
/// Errors: gai_error (EAI_NONAME with NI_NAMEREQD and no name, EAI_FAMILY, ...); io_error
/// for EAI_SYSTEM; std::runtime_error if the executor is needed after
/// shutdown_default_executor().
/// Cancellation: as getaddrinfo: the thread's lookup ends there and its result is dropped.
/// Shard: inside a task on the loop's thread.
coro<std::pair<std::string, std::string>> getnameinfo(sock_address addr, int flags = 0);

} // namespace coreloop::net
