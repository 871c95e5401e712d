// create_datagram_endpoint's socket: resolving the local and remote addresses to one family,
// binding, connecting; then the transport.
#include <coreloop/net/datagram.hpp>

#include <stdexcept>
#include <vector>

#include "datagram_transport.hpp"
#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/future.hpp>
#include <coreloop/net/dns.hpp>

namespace coreloop::net::detail {
namespace {

coro<std::vector<addrinfo_entry>>
resolve(const host_port& where, const datagram_options& opts, int extra_flags) {
    addrinfo_options query;
    query.family = opts.family;
    query.type = SOCK_DGRAM;
    query.proto = opts.proto;
    query.flags = opts.flags | extra_flags;
    std::vector<addrinfo_entry> infos = co_await getaddrinfo(where.first, where.second, query);
    if (infos.empty()) {
        throw std::runtime_error("getaddrinfo() returned empty list");
    }
    co_return infos;
}

} // namespace

coro<socket> open_datagram_socket(std::optional<host_port> local,
                                  std::optional<host_port> remote,
                                  datagram_options opts) {
    if (opts.sock) {
        co_return std::move(*opts.sock);
    }
    if (!local && !remote) {
        throw std::invalid_argument("unexpected address family: give local_addr, remote_addr "
                                    "or sock");
    }
    std::vector<addrinfo_entry> locals;
    std::vector<addrinfo_entry> remotes;
    if (local) {
        locals = co_await resolve(*local, opts, AI_PASSIVE);
    }
    if (remote) {
        remotes = co_await resolve(*remote, opts, 0);
    }
    // asyncio tries every (local, remote) pair of the same family, in order.
    std::exception_ptr last_error;
    const std::size_t n_local = local ? locals.size() : 1;
    const std::size_t n_remote = remote ? remotes.size() : 1;
    for (std::size_t i = 0; i < n_local; ++i) {
        for (std::size_t j = 0; j < n_remote; ++j) {
            const addrinfo_entry* l = local ? &locals[i] : nullptr;
            const addrinfo_entry* r = remote ? &remotes[j] : nullptr;
            if (l != nullptr && r != nullptr && l->family != r->family) {
                continue;
            }
            const addrinfo_entry& any = l != nullptr ? *l : *r;
            try {
                socket s = socket::create(any.family, SOCK_DGRAM, any.proto);
                if (opts.reuse_port) {
                    s.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
                }
                if (opts.allow_broadcast) {
                    s.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
                }
                if (l != nullptr) {
                    s.bind(l->address);
                }
                if (r != nullptr) {
                    // A datagram connect completes at once; no need to wait on the loop.
                    if (::connect(s.fileno(), r->address.data(), r->address.size()) < 0) {
                        throw_io_error(errno, "connect to " + r->address.to_string());
                    }
                }
                co_return s;
            } catch (const io_error&) {
                last_error = std::current_exception();
            }
        }
    }
    if (last_error) {
        std::rethrow_exception(last_error);
    }
    throw std::invalid_argument("can not get address information: no local and remote "
                                "address of the same family");
}

coro<std::shared_ptr<datagram_transport>>
start_datagram_transport(socket sock, std::shared_ptr<datagram_protocol> p) {
    if (!sock.is_open() || sock.getsockopt(SOL_SOCKET, SO_TYPE) != SOCK_DGRAM) {
        throw std::invalid_argument("A datagram socket was expected");
    }
    auto& loop = coreloop::detail::running_loop_core();
    future<void> made = loop.owner->create_future<void>();
    auto t = datagram_socket_transport::start(loop, std::move(sock), std::move(p),
                                              signal_made(made));
    co_await wait_made(made, *t);
    co_return t;
}

} // namespace coreloop::net::detail
