// The exceptions of the engine, with asyncio's names in snake_case.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace coreloop {

/// Root of the exceptions that must not be swallowed by `catch (std::exception&)`
/// (asyncio's BaseException branch): cancellation, keyboard_interrupt, system_exit.
class base_exception {
public:
    explicit base_exception(std::string message = {})
        : message_(std::move(message)) {}
    virtual ~base_exception() = default;
    base_exception(const base_exception&) = default;
    base_exception& operator=(const base_exception&) = default;

    /// The message given when the exception was made (may be empty).
    const std::string& message() const noexcept { return message_; }
    virtual const char* what() const noexcept { return message_.c_str(); }

private:
    std::string message_;
};

/// The operation was cancelled (asyncio.CancelledError). Thrown at the `co_await` where the
/// cancelled task was suspended; carries the message given to `task::cancel(msg)`.
class cancelled_error : public base_exception {
public:
    using base_exception::base_exception;
};

/// Ctrl-C in `run` (asyncio's KeyboardInterrupt).
class keyboard_interrupt : public base_exception {
public:
    using base_exception::base_exception;
};

/// A request to leave the program (Python's SystemExit).
class system_exit : public base_exception {
public:
    using base_exception::base_exception;
};

/// A deadline passed (asyncio.TimeoutError / TimeoutError).
class timeout_error : public std::runtime_error {
public:
    explicit timeout_error(const std::string& what = "timed out")
        : std::runtime_error(what) {}
};

/// An operation was not allowed in the future's current state (asyncio.InvalidStateError).
class invalid_state_error : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

/// The stream ended before a read had all it asked for (asyncio.IncompleteReadError, an
/// EOFError). `partial` holds the bytes read, which the stream no longer has; `expected` is
/// the size asked for (nullopt for readuntil, asyncio's None).
class incomplete_read_error : public std::runtime_error {
public:
    incomplete_read_error(std::string partial_bytes, std::optional<std::size_t> expected_size);

    std::string partial;
    std::optional<std::size_t> expected;
};

/// A read would have gone past the stream's limit (asyncio.LimitOverrunError). `consumed` is
/// how many bytes the read had looked at; they are still in the stream.
class limit_overrun_error : public std::runtime_error {
public:
    limit_overrun_error(const std::string& message, std::size_t consumed_bytes)
        : std::runtime_error(message)
        , consumed(consumed_bytes) {}

    std::size_t consumed;
};

/// An operating-system error, carrying errno in code() (Python's OSError).
class io_error : public std::system_error {
public:
    io_error(int err, const std::string& what)
        : std::system_error(err, std::system_category(), what) {}
};

/// The peer reset the connection (ECONNRESET).
class connection_reset_error : public io_error {
public:
    using io_error::io_error;
};

/// Writing to a connection the peer closed (EPIPE, ESHUTDOWN).
class broken_pipe_error : public io_error {
public:
    using io_error::io_error;
};

/// Nothing listens at the address (ECONNREFUSED).
class connection_refused_error : public io_error {
public:
    using io_error::io_error;
};

/// Throws the io_error subclass that matches `err` (a positive errno), with `what` naming
/// the failed operation. The one place that maps errno to an exception type.
[[noreturn]] void throw_io_error(int err, const std::string& what);

} // namespace coreloop
