// Placeholder until the server is written (issue #7): the factory exists, its protocols do not.
#include "httpd/http_server.hpp"

#include <stdexcept>

namespace coreloop::httpd {

net::protocol_factory make_protocol_factory(server_config config) {
    (void)config;
    return []() -> std::shared_ptr<net::base_protocol> {
        throw std::logic_error("coreloop-httpd: not written yet");
    };
}

} // namespace coreloop::httpd
