// create_server and create_unix_server: resolving, binding and listening, then a server_core
// that accepts.
#include <algorithm>
#include <cerrno>
#include <string>

#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listen_socket.hpp"
#include "server_core.hpp"
#include <coreloop/detail/loop_core.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/net/dns.hpp>
#include <coreloop/net/server.hpp>
#include <coreloop/sleep.hpp>

namespace coreloop::net {
namespace {

/// A listening TCP socket bound to `address`, with asyncio's options.
socket bind_tcp(const addrinfo_entry& info, const server_options& opts) {
    socket s =
            detail::listener_socket(info.family, info.proto, opts.reuse_address, opts.reuse_port);
    try {
        s.bind(info.address);
    } catch (const io_error& e) {
        throw_io_error(e.code().value(),
                       "error while attempting to bind on address " + info.address.to_string());
    }
    return s;
}

/// Every distinct stream address `hosts` resolve to ("" = every interface).
coro<std::vector<addrinfo_entry>>
resolve_passive(std::vector<std::string> hosts, std::uint16_t port, const server_options& opts) {
    if (hosts.empty()) {
        hosts.emplace_back();
    }
    std::vector<addrinfo_entry> all;
    for (const std::string& host : hosts) {
        addrinfo_options query;
        query.family = opts.family;
        query.type = SOCK_STREAM;
        query.flags = opts.flags | AI_PASSIVE;
        std::vector<addrinfo_entry> infos = co_await getaddrinfo(host, port, query);
        for (auto& info : infos) {
            const bool seen = std::any_of(all.begin(), all.end(), [&](const addrinfo_entry& a) {
                return a.address == info.address;
            });
            if (!seen) {
                all.push_back(std::move(info));
            }
        }
    }
    co_return all;
}

coro<server> finish(std::shared_ptr<detail::server_core> core, bool start_serving) {
    if (start_serving) {
        core->start_serving();
        co_await sleep(std::chrono::seconds(0));
    }
    co_return server(std::move(core));
}

} // namespace

coro<server> create_server(protocol_factory factory,
                           std::vector<std::string> hosts,
                           std::uint16_t port,
                           server_options opts) {
    auto& loop = coreloop::detail::running_loop_core();
    std::vector<socket> listening;
    if (opts.sock) {
        listening.push_back(std::move(*opts.sock));
    } else {
        std::vector<addrinfo_entry> infos = co_await resolve_passive(std::move(hosts), port, opts);
        for (const auto& info : infos) {
            listening.push_back(bind_tcp(info, opts));
        }
    }
    auto core = std::make_shared<detail::server_core>(loop, std::move(factory), opts.keep_alive);
    for (auto& s : listening) {
        s.listen(opts.backlog);
        core->add_listener(std::move(s));
    }
    co_return co_await finish(std::move(core), opts.start_serving);
}

coro<server>
create_server(protocol_factory factory, std::string host, std::uint16_t port, server_options opts) {
    std::vector<std::string> hosts;
    hosts.push_back(std::move(host));
    co_return co_await create_server(std::move(factory), std::move(hosts), port, std::move(opts));
}

coro<server>
create_unix_server(protocol_factory factory, std::string path, unix_server_options opts) {
    auto& loop = coreloop::detail::running_loop_core();
    socket s;
    std::string cleanup;
    if (opts.sock) {
        s = std::move(*opts.sock);
    } else {
        const sock_address address = sock_address::from_unix_path(path);
        // A socket file left by a dead server would make bind fail; remove it (asyncio does
        // the same), but never a file of another kind.
        struct ::stat st {};
        if (!path.empty() && path[0] != '\0' && ::stat(path.c_str(), &st) == 0 &&
            S_ISSOCK(st.st_mode)) {
            ::unlink(path.c_str());
        }
        s = socket::create(AF_UNIX, SOCK_STREAM);
        try {
            s.bind(address);
        } catch (const io_error& e) {
            throw_io_error(e.code().value(), "error while attempting to bind on address " + path);
        }
        if (opts.cleanup_socket && !path.empty() && path[0] != '\0') {
            cleanup = path;
        }
    }
    s.listen(opts.backlog);
    auto core = std::make_shared<detail::server_core>(loop, std::move(factory), false);
    core->add_listener(std::move(s), std::move(cleanup));
    co_return co_await finish(std::move(core), opts.start_serving);
}

} // namespace coreloop::net
