// open_connection, start_server and the Unix variants: stream_reader_protocol over the
// transport-level calls.
#include <coreloop/net/streams.hpp>

namespace coreloop::net {
namespace {

stream_pair make_pair_of(const connection<stream_reader_protocol>& c,
                         std::shared_ptr<stream_reader> reader) {
    auto writer = std::make_shared<stream_writer>(c.first, c.second, reader);
    return stream_pair(std::move(reader), std::move(writer));
}

protocol_factory serving_factory(client_connected_callback on_connected, std::size_t limit) {
    return [on_connected = std::move(on_connected), limit] {
        return std::make_shared<stream_reader_protocol>(std::make_shared<stream_reader>(limit),
                                                        on_connected);
    };
}

} // namespace

coro<stream_pair>
open_connection(std::string host, std::uint16_t port, connection_options opts, std::size_t limit) {
    auto reader = std::make_shared<stream_reader>(limit);
    auto factory = [reader] { return std::make_shared<stream_reader_protocol>(reader); };
    connection<stream_reader_protocol> c =
            co_await create_connection(factory, std::move(host), port, std::move(opts));
    co_return make_pair_of(c, std::move(reader));
}

coro<stream_pair> open_unix_connection(std::string path, std::size_t limit) {
    auto reader = std::make_shared<stream_reader>(limit);
    auto factory = [reader] { return std::make_shared<stream_reader_protocol>(reader); };
    connection<stream_reader_protocol> c =
            co_await create_unix_connection(factory, std::move(path));
    co_return make_pair_of(c, std::move(reader));
}

coro<server> start_server(client_connected_callback on_connected,
                          std::string host,
                          std::uint16_t port,
                          server_options opts,
                          std::size_t limit) {
    protocol_factory factory = serving_factory(std::move(on_connected), limit);
    co_return co_await create_server(std::move(factory), std::move(host), port, std::move(opts));
}

coro<server> start_unix_server(client_connected_callback on_connected,
                               std::string path,
                               unix_server_options opts,
                               std::size_t limit) {
    protocol_factory factory = serving_factory(std::move(on_connected), limit);
    co_return co_await create_unix_server(std::move(factory), std::move(path), std::move(opts));
}

} // namespace coreloop::net
