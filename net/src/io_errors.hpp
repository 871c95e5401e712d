// The exception a failed socket op's -errno stands for, as an exception_ptr (for connection_lost
// and futures, which take one).
#pragma once

#include <exception>

#include <coreloop/exceptions.hpp>

namespace coreloop::net::detail {

/// throw_io_error's exception (the io_error subclass for err, a positive errno), captured.
inline std::exception_ptr make_io_error(int err, const char* what) {
    try {
        coreloop::throw_io_error(err, what);
    } catch (...) {
        return std::current_exception();
    }
}

} // namespace coreloop::net::detail
