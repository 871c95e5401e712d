// server: the public handle over server_core.
#include <coreloop/net/server.hpp>

#include "server_core.hpp"
#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>

namespace coreloop::net {

server::server(std::shared_ptr<detail::server_core> core) noexcept
    : core_(std::move(core)) {}

event_loop& server::get_loop() const noexcept {
    return *core_->loop().owner;
}

void server::close() noexcept {
    core_->close();
}

void server::close_clients() noexcept {
    core_->close_clients();
}

void server::abort_clients() noexcept {
    core_->abort_clients();
}

coro<void> server::wait_closed() {
    return core_->wait_closed();
}

coro<void> server::start_serving() {
    core_->start_serving();
    co_await sleep(std::chrono::seconds(0));
}

coro<void> server::serve_forever() {
    return core_->serve_forever();
}

bool server::is_serving() const noexcept {
    return core_->is_serving();
}

std::span<const socket> server::sockets() const noexcept {
    return core_->sockets();
}

std::size_t server::client_count() const noexcept {
    return core_->client_count();
}

} // namespace coreloop::net
