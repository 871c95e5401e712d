// sharded_server: the port is chosen and held on the owner shard while every shard binds its
// own SO_REUSEPORT listener to it.
#include <coreloop/net/sharded_server.hpp>

#include "listen_socket.hpp"
#include "server_core.hpp"
#include <coreloop/detail/loop_core.hpp>
#include <coreloop/net/dns.hpp>

namespace coreloop::net {
namespace detail {

shard_listener::shard_listener(std::vector<sock_address> addresses,
                               protocol_factory factory,
                               int backlog,
                               bool keep_alive)
    : core_(std::make_shared<server_core>(
              coreloop::detail::running_loop_core(), std::move(factory), keep_alive)) {
    for (const sock_address& a : addresses) {
        socket s = listener_socket(a.family(), 0, true, true);
        s.bind(a);
        s.listen(backlog);
        core_->add_listener(std::move(s));
    }
    core_->start_serving();
}

shard_listener::~shard_listener() {
    core_->close();
}

coro<void> shard_listener::stop() {
    core_->close();
    core_->close_clients();
    co_await core_->wait_closed();
}

std::size_t shard_listener::client_count() const noexcept {
    return core_->client_count();
}

} // namespace detail

coro<void> sharded_server::start(protocol_factory factory,
                                 std::string host,
                                 std::uint16_t port,
                                 sharded_server_options opts) {
    addrinfo_options query;
    query.family = opts.family;
    query.type = SOCK_STREAM;
    query.flags = AI_PASSIVE;
    std::vector<addrinfo_entry> infos = co_await getaddrinfo(host, port, query);
    // Port 0: the first address picks a port, and these sockets hold it (bound, not
    // listening, so they take no connections) until every shard has bound its own.
    std::vector<socket> holders;
    std::vector<sock_address> addresses;
    for (const auto& info : infos) {
        sock_address a = info.address;
        if (port == 0 && port_ != 0) {
            a = sock_address::from_ip(a.host(), port_);
        }
        socket s = detail::listener_socket(a.family(), 0, true, true);
        s.bind(a);
        a = s.getsockname();
        port_ = a.port();
        addresses.push_back(a);
        holders.push_back(std::move(s));
    }
    co_await listeners_.start(addresses, std::move(factory), opts.backlog, opts.keep_alive);
}

coro<void> sharded_server::start(client_connected_callback on_connected,
                                 std::string host,
                                 std::uint16_t port,
                                 sharded_server_options opts,
                                 std::size_t limit) {
    protocol_factory factory = [on_connected = std::move(on_connected), limit] {
        return std::make_shared<stream_reader_protocol>(std::make_shared<stream_reader>(limit),
                                                        on_connected);
    };
    co_await start(std::move(factory), std::move(host), port, opts);
}

coro<std::size_t> sharded_server::client_count() {
    auto count = [](detail::shard_listener& l) { return l.client_count(); };
    auto sum = [](std::size_t a, std::size_t b) { return a + b; };
    const std::size_t zero = 0;
    co_return co_await listeners_.map_reduce(count, zero, sum);
}

coro<void> sharded_server::stop() {
    co_await listeners_.stop();
}

} // namespace coreloop::net
