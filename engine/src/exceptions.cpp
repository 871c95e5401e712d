// Maps an errno to the matching io_error subclass.
#include <coreloop/exceptions.hpp>

#include <cerrno>

namespace coreloop {

void throw_io_error(int err, const std::string& what) {
    switch (err) {
    case ECONNRESET:
        throw connection_reset_error(err, what);
    case EPIPE:
    case ESHUTDOWN:
        throw broken_pipe_error(err, what);
    case ECONNREFUSED:
        throw connection_refused_error(err, what);
    default:
        throw io_error(err, what);
    }
}

} // namespace coreloop
