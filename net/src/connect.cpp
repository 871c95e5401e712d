// The client side of create_connection: resolving, optional local binding, Happy Eyeballs
// (RFC 8305) over several addresses, and starting the transport.
#include <coreloop/net/connection.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "socket_transport.hpp"
#include <coreloop/event_loop.hpp>
#include <coreloop/exception_group.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/future.hpp>
#include <coreloop/net/dns.hpp>
#include <coreloop/task.hpp>
#include <coreloop/wait.hpp>

namespace coreloop::net::detail {
namespace {

/// asyncio's _interleave_addrinfos: the first `first_family_count` addresses of the first
/// family, then alternating families.
std::vector<addrinfo_entry> interleave(std::vector<addrinfo_entry> infos, int first_family_count) {
    std::vector<std::vector<addrinfo_entry>> by_family;
    for (auto& info : infos) {
        auto it = std::find_if(by_family.begin(), by_family.end(),
                               [&](const auto& group) { return group[0].family == info.family; });
        if (it == by_family.end()) {
            by_family.emplace_back();
            it = by_family.end() - 1;
        }
        it->push_back(std::move(info));
    }
    std::vector<addrinfo_entry> out;
    std::vector<std::size_t> next(by_family.size(), 0);
    if (!by_family.empty() && first_family_count > 1) {
        auto& first = by_family[0];
        const auto n = std::min(first.size(), static_cast<std::size_t>(first_family_count - 1));
        for (; next[0] < n; ++next[0]) {
            out.push_back(std::move(first[next[0]]));
        }
    }
    for (bool more = true; more;) {
        more = false;
        for (std::size_t f = 0; f < by_family.size(); ++f) {
            if (next[f] < by_family[f].size()) {
                out.push_back(std::move(by_family[f][next[f]++]));
                more = true;
            }
        }
    }
    return out;
}

/// One attempt: a socket of the address's family, bound to a matching local address if any,
/// connected.
coro<socket> connect_one(addrinfo_entry info, std::vector<addrinfo_entry> local) {
    socket s = socket::create(info.family, SOCK_STREAM, info.proto);
    if (!local.empty()) {
        bool bound = false;
        std::exception_ptr bind_error;
        for (const auto& l : local) {
            if (l.family != info.family) {
                continue;
            }
            try {
                s.bind(l.address);
                bound = true;
                break;
            } catch (const io_error& e) {
                bind_error = std::current_exception();
            }
        }
        if (!bound) {
            if (bind_error) {
                std::rethrow_exception(bind_error);
            }
            throw_io_error(EADDRNOTAVAIL, "no matching local address with family=" +
                                                  std::to_string(info.family) + " found");
        }
    }
    co_await get_running_loop().sock_connect(s, info.address);
    // asyncio sets TCP_NODELAY on every TCP transport.
    s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    co_return s;
}

/// The error create_connection reports when every attempt failed (asyncio's rules).
[[noreturn]] void throw_connect_errors(const std::vector<std::exception_ptr>& errors,
                                       bool all_errors) {
    if (all_errors) {
        throw exception_group("create_connection failed", errors);
    }
    if (errors.size() == 1) {
        std::rethrow_exception(errors[0]);
    }
    std::string message = "Multiple exceptions: ";
    std::string first;
    bool all_same = true;
    int code = 0;
    for (std::size_t i = 0; i < errors.size(); ++i) {
        std::string text;
        try {
            std::rethrow_exception(errors[i]);
        } catch (const io_error& e) {
            text = e.what();
            code = code == 0 ? e.code().value() : code;
        } catch (const std::exception& e) {
            text = e.what();
        }
        all_same = all_same && (i == 0 || text == first);
        first = i == 0 ? text : first;
        message += (i == 0 ? "" : ", ") + text;
    }
    if (all_same) {
        std::rethrow_exception(errors[0]);
    }
    throw_io_error(code == 0 ? ECONNREFUSED : code, message);
}

/// RFC 8305's staggered race: an attempt starts every `delay` or as soon as the previous one
/// failed; the first success wins and the others are cancelled.
coro<socket> race(std::vector<addrinfo_entry> infos,
                  std::vector<addrinfo_entry> local,
                  std::chrono::milliseconds delay,
                  bool all_errors) {
    std::vector<std::exception_ptr> errors;
    std::vector<task<socket>> running;
    std::size_t started = 0;
    std::optional<socket> winner;
    while (!winner && (started < infos.size() || !running.empty())) {
        if (started < infos.size()) {
            running.push_back(create_task(connect_one(infos[started], local)));
            ++started;
        }
        wait_options options;
        options.return_when = return_when::first_completed;
        if (started < infos.size()) {
            options.timeout = delay;
        }
        auto [done, pending] = co_await wait(running, options);
        for (auto& t : done) {
            if (t.exception()) {
                errors.push_back(t.exception());
            } else if (!winner) {
                winner.emplace(std::move(t.result()));
            }
        }
        running = std::move(pending);
    }
    for (auto& t : running) {
        t.cancel();
    }
    for (auto& t : running) {
        try {
            co_await t; // the loser's socket closes in its frame
        } catch (...) {
        }
    }
    if (!winner) {
        throw_connect_errors(errors, all_errors);
    }
    co_return std::move(*winner);
}

} // namespace

coro<socket> connect_tcp(std::string host, std::uint16_t port, connection_options opts) {
    if (opts.sock) {
        co_return std::move(*opts.sock);
    }
    addrinfo_options query;
    query.family = opts.family;
    query.type = SOCK_STREAM;
    query.proto = opts.proto;
    query.flags = opts.flags;
    std::vector<addrinfo_entry> infos = co_await getaddrinfo(host, port, query);
    if (infos.empty()) {
        throw std::runtime_error("getaddrinfo() returned empty list");
    }
    std::vector<addrinfo_entry> local;
    if (opts.local_addr) {
        local = co_await getaddrinfo(opts.local_addr->first, opts.local_addr->second, query);
        if (local.empty()) {
            throw std::runtime_error("getaddrinfo() returned empty list");
        }
    }
    co_return co_await connect_to_any(std::move(infos), std::move(local), opts);
}

coro<socket> connect_to_any(std::vector<addrinfo_entry> infos,
                            std::vector<addrinfo_entry> local,
                            const connection_options& opts) {
    int first_family_count = opts.interleave;
    if (first_family_count == 0 && opts.happy_eyeballs_delay) {
        first_family_count = 1;
    }
    if (first_family_count > 0) {
        infos = interleave(std::move(infos), first_family_count);
    }
    if (opts.happy_eyeballs_delay && infos.size() > 1) {
        co_return co_await race(std::move(infos), std::move(local), *opts.happy_eyeballs_delay,
                                opts.all_errors);
    }
    std::vector<std::exception_ptr> errors;
    for (const auto& info : infos) {
        try {
            co_return co_await connect_one(info, local);
        } catch (const std::exception&) {
            errors.push_back(std::current_exception());
        }
    }
    throw_connect_errors(errors, opts.all_errors);
}

coro<socket> connect_unix(std::string path) {
    const sock_address address = sock_address::from_unix_path(path);
    socket s = socket::create(AF_UNIX, SOCK_STREAM);
    co_await get_running_loop().sock_connect(s, address);
    co_return s;
}

coro<std::shared_ptr<transport>> start_transport(socket sock, std::shared_ptr<base_protocol> p) {
    if (!sock.is_open() || sock.getsockopt(SOL_SOCKET, SO_TYPE) != SOCK_STREAM) {
        throw std::invalid_argument("A Stream Socket was expected");
    }
    auto& loop = coreloop::detail::running_loop_core();
    future<void> made = loop.owner->create_future<void>();
    std::shared_ptr<socket_transport> t =
            socket_transport::start(loop, std::move(sock), std::move(p), signal_made(made));
    co_await wait_made(made, *t);
    co_return t;
}

} // namespace coreloop::net::detail
