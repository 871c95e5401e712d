// getaddrinfo and getnameinfo: the blocking C calls on the default executor, and the numeric
// shortcut that answers literal addresses on the loop's thread as glibc would.
#include <coreloop/net/dns.hpp>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <span>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/executor.hpp>
#include <coreloop/future.hpp>

namespace coreloop::net {

gai_error::gai_error(int eai_code)
    : std::runtime_error(::gai_strerror(eai_code))
    , code_(eai_code) {}

namespace {

/// Throws what a failed getaddrinfo/getnameinfo returned: io_error for EAI_SYSTEM (with the
/// errno saved right after the call), gai_error otherwise.
[[noreturn]] void throw_lookup_error(int eai_code, int saved_errno, const char* what) {
    if (eai_code == EAI_SYSTEM) {
        throw_io_error(saved_errno, what);
    }
    throw gai_error(eai_code);
}

struct addrinfo_list_deleter {
    void operator()(::addrinfo* list) const noexcept { ::freeaddrinfo(list); }
};

sock_address copy_address(const ::sockaddr* addr, ::socklen_t length) {
    sock_address out;
    if (length > *out.size_ptr()) {
        length = *out.size_ptr(); // cannot happen for the families getaddrinfo returns
    }
    std::memcpy(out.data(), addr, length);
    *out.size_ptr() = length;
    return out;
}

/// The blocking lookup, run on a pool thread: it owns copies of its inputs.
std::vector<addrinfo_entry>
blocking_getaddrinfo(const std::string& host, const std::string& port, addrinfo_options opts) {
    ::addrinfo hints{};
    hints.ai_family = opts.family;
    hints.ai_socktype = opts.type;
    hints.ai_protocol = opts.proto;
    hints.ai_flags = opts.flags;
    ::addrinfo* list = nullptr;
    const int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(),
                                 port.empty() ? nullptr : port.c_str(), &hints, &list);
    if (rc != 0) {
        throw_lookup_error(rc, errno, "getaddrinfo");
    }
    std::unique_ptr<::addrinfo, addrinfo_list_deleter> owner(list);
    std::vector<addrinfo_entry> entries;
    for (const ::addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        entries.push_back({ai->ai_family, ai->ai_socktype, ai->ai_protocol,
                           ai->ai_canonname != nullptr ? ai->ai_canonname : "",
                           copy_address(ai->ai_addr, ai->ai_addrlen)});
    }
    return entries;
}

std::pair<std::string, std::string> blocking_getnameinfo(const sock_address& addr, int flags) {
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
    const int rc = ::getnameinfo(addr.data(), addr.size(), host, sizeof(host), service,
                                 sizeof(service), flags);
    if (rc != 0) {
        throw_lookup_error(rc, errno, "getnameinfo");
    }
    return {host, service};
}

// --- the numeric shortcut ----------------------------------------------------------------

struct type_proto {
    int type;
    int proto;
};

// glibc's answer for a literal address is one entry per (type, proto) its table allows.
constexpr type_proto any_type[] = {
        {SOCK_STREAM, IPPROTO_TCP}, {SOCK_DGRAM, IPPROTO_UDP}, {SOCK_RAW, 0}};
constexpr type_proto stream_only[] = {{SOCK_STREAM, IPPROTO_TCP}};
constexpr type_proto datagram_only[] = {{SOCK_DGRAM, IPPROTO_UDP}};

/// The (type, proto) pairs glibc returns for these hints, or none if the combination is one
/// the shortcut leaves to glibc (raw, SCTP, mismatches that are errors).
std::span<const type_proto> shortcut_types(int type, int proto) {
    if (type == 0 && proto == 0) {
        return any_type;
    }
    if ((type == 0 || type == SOCK_STREAM) && (proto == 0 || proto == IPPROTO_TCP)) {
        return stream_only;
    }
    if ((type == 0 || type == SOCK_DGRAM) && (proto == 0 || proto == IPPROTO_UDP)) {
        return datagram_only;
    }
    return {};
}

/// The port of a service glibc reads as a number: "" (none) is 0; only plain decimal up to
/// 65535 qualifies ("+80", " 80" or "70000", which glibc also takes, are left to it).
std::optional<std::uint16_t> shortcut_port(const std::string& port) {
    std::uint32_t value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
        if (value > 0xffff) {
            return std::nullopt;
        }
    }
    return static_cast<std::uint16_t>(value);
}

/// An IPv6 zone as glibc's __inet6_scopeid_pton reads it: an interface name for link-local
/// (and node-local multicast) addresses, else a decimal index up to 2^32 - 1.
std::optional<std::uint32_t> parse_scope(const ::in6_addr& address, const std::string& zone) {
    if (zone.empty()) {
        return std::nullopt;
    }
    if (IN6_IS_ADDR_LINKLOCAL(&address) || IN6_IS_ADDR_MC_NODELOCAL(&address) ||
        IN6_IS_ADDR_MC_LINKLOCAL(&address)) {
        if (unsigned index = ::if_nametoindex(zone.c_str()); index != 0) {
            return index;
        }
    }
    std::uint64_t value = 0;
    for (char c : zone) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
        if (value > 0xffffffffU) {
            return std::nullopt;
        }
    }
    return static_cast<std::uint32_t>(value);
}

/// host as a literal address of an allowed family with port, or nullopt if it is not one.
std::optional<sock_address> parse_literal(const std::string& host, int family, std::uint16_t port) {
    if (family != AF_INET6) {
        ::sockaddr_in v4{};
        if (::inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
            v4.sin_family = AF_INET;
            v4.sin_port = htons(port);
            return copy_address(reinterpret_cast<const ::sockaddr*>(&v4), sizeof(v4));
        }
    }
    if (family != AF_INET) {
        const std::size_t percent = host.find('%');
        ::sockaddr_in6 v6{};
        if (::inet_pton(AF_INET6, host.substr(0, percent).c_str(), &v6.sin6_addr) != 1) {
            return std::nullopt;
        }
        if (percent != std::string::npos) {
            std::optional<std::uint32_t> scope =
                    parse_scope(v6.sin6_addr, host.substr(percent + 1));
            if (!scope) {
                return std::nullopt; // glibc says EAI_NONAME; let it
            }
            v6.sin6_scope_id = *scope;
        }
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        return copy_address(reinterpret_cast<const ::sockaddr*>(&v6), sizeof(v6));
    }
    return std::nullopt;
}

/// The entries glibc would return, when the hints are simple enough to know them without a
/// lookup (see the header); nullopt sends the call to the executor.
std::optional<std::vector<addrinfo_entry>>
numeric_getaddrinfo(const std::string& host, const std::string& port, addrinfo_options opts) {
    constexpr int plain_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV | AI_CANONNAME;
    if (host.empty() || (opts.flags & ~plain_flags) != 0 ||
        (opts.family != AF_UNSPEC && opts.family != AF_INET && opts.family != AF_INET6)) {
        return std::nullopt;
    }
    std::span<const type_proto> types = shortcut_types(opts.type, opts.proto);
    std::optional<std::uint16_t> port_number = shortcut_port(port);
    if (types.empty() || !port_number) {
        return std::nullopt;
    }
    std::optional<sock_address> address = parse_literal(host, opts.family, *port_number);
    if (!address) {
        return std::nullopt;
    }
    std::vector<addrinfo_entry> entries;
    entries.reserve(types.size());
    for (const type_proto& tp : types) {
        entries.push_back({address->family(), tp.type, tp.proto, "", *address});
    }
    // glibc names the first entry after the literal, zone included.
    if ((opts.flags & AI_CANONNAME) != 0) {
        entries.front().canonname = host;
    }
    return entries;
}

} // namespace

coro<std::vector<addrinfo_entry>>
getaddrinfo(std::string host, std::string port, addrinfo_options opts) {
    if (std::optional<std::vector<addrinfo_entry>> literal =
                numeric_getaddrinfo(host, port, opts)) {
        co_return std::move(*literal);
    }
    // The pool thread gets its own copies: if this task is cancelled, the lookup still runs
    // to its end there and only its result is dropped.
    auto lookup = [host = std::move(host), port = std::move(port), opts] {
        return blocking_getaddrinfo(host, port, opts);
    };
    future<std::vector<addrinfo_entry>> result =
            get_running_loop().run_in_executor(nullptr, std::move(lookup));
    co_return co_await std::move(result);
}

coro<std::vector<addrinfo_entry>>
getaddrinfo(std::string host, std::uint16_t port, addrinfo_options opts) {
    return getaddrinfo(std::move(host), std::to_string(port), opts);
}

coro<std::pair<std::string, std::string>> getnameinfo(sock_address addr, int flags) {
    constexpr int numeric = NI_NUMERICHOST | NI_NUMERICSERV;
    if ((flags & numeric) == numeric) {
        // Formatting only: no name service is asked, so the call cannot block.
        co_return blocking_getnameinfo(addr, flags);
    }
    auto lookup = [addr, flags] { return blocking_getnameinfo(addr, flags); };
    future<std::pair<std::string, std::string>> result =
            get_running_loop().run_in_executor(nullptr, std::move(lookup));
    co_return co_await std::move(result);
}

} // namespace coreloop::net
