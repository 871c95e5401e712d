// embedded_server: which server each mode loads.
#include "bench/embedded_server.hpp"

#include <memory>

#include <coreloop/net/streams.hpp>

#include "bench/echo_handlers.hpp"
#include "httpd/http_server.hpp"

namespace coreloop::bench {
namespace {

coro<void> echo_stream(std::shared_ptr<net::stream_reader> reader,
                       std::shared_ptr<net::stream_writer> writer) {
    return perf::echo_stream(std::move(reader), std::move(writer), 64 * 1024);
}

} // namespace

coro<std::uint16_t> embedded_server::listen(enum mode m, bool streams, std::uint16_t port) {
    net::server_options opts;
    opts.reuse_port = true;
    opts.backlog = 4096;
    const std::string host = "127.0.0.1";
    if (m == mode::http) {
        net::protocol_factory factory = httpd::make_protocol_factory(httpd::server_config{});
        server_ = co_await net::create_server(std::move(factory), host, port, std::move(opts));
    } else if (streams) {
        net::client_connected_callback on_connected = echo_stream;
        server_ = co_await net::start_server(std::move(on_connected), host, port, std::move(opts));
    } else {
        net::protocol_factory factory = [] { return std::make_shared<perf::echo_protocol>(); };
        server_ = co_await net::create_server(std::move(factory), host, port, std::move(opts));
    }
    co_return server_->sockets().front().getsockname().port();
}

coro<void> embedded_server::stop() {
    if (!server_) {
        co_return;
    }
    server_->close();
    server_->abort_clients();
    co_await server_->wait_closed();
}

} // namespace coreloop::bench
