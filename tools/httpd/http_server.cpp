// make_protocol_factory: one http_connection per connection, all sharing one config.
#include "httpd/http_server.hpp"

#include "httpd/http_connection.hpp"

namespace coreloop::httpd {

net::protocol_factory make_protocol_factory(server_config config) {
    auto shared = std::make_shared<const server_config>(std::move(config));
    return [shared]() -> std::shared_ptr<net::base_protocol> {
        return std::make_shared<http_connection>(shared);
    };
}

} // namespace coreloop::httpd
