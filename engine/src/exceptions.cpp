// Maps an errno to the matching io_error subclass; the messages of the stream errors.
#include <coreloop/exceptions.hpp>

#include <cerrno>

namespace coreloop {

incomplete_read_error::incomplete_read_error(std::string partial_bytes,
                                             std::optional<std::size_t> expected_size)
    : std::runtime_error(
              std::to_string(partial_bytes.size()) + " bytes read on a total of " +
              (expected_size ? std::to_string(*expected_size) : std::string("undefined")) +
              " expected bytes")
    , partial(std::move(partial_bytes))
    , expected(expected_size) {}

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
