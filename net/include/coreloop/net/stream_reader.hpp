// stream_reader (asyncio.StreamReader): bytes fed by a protocol, read by one task at a time
// with read, readline, readexactly and readuntil, under a buffer limit.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <coreloop/coro.hpp>
#include <coreloop/future.hpp>

namespace coreloop::net {

class read_transport;

/// asyncio's default limit (64 KiB) of a stream's buffer.
inline constexpr std::size_t default_stream_limit = 64 * 1024;

/// A buffer of received bytes that tasks read from (asyncio.StreamReader). One read may wait
/// at a time. The limit bounds what readuntil/readline look through, and flow control pauses
/// the transport while more than twice the limit is buffered.
/// Errors (every read): the exception given to set_exception(), once set.
/// Cancellation (every read): a read cancelled while waiting consumes nothing.
/// Shard: create and use it on one loop.
class stream_reader {
public:
    /// Errors: std::invalid_argument if limit is 0.
    explicit stream_reader(std::size_t limit = default_stream_limit);
    stream_reader(const stream_reader&) = delete;
    stream_reader& operator=(const stream_reader&) = delete;

    std::size_t limit() const noexcept { return limit_; }
    /// The transport to pause while over 2 * limit bytes are buffered (nullptr: none).
    void set_transport(read_transport* t) noexcept { transport_ = t; }

    /// Appends bytes and wakes the waiting read. Errors: std::logic_error after feed_eof().
    void feed_data(std::span<const std::byte> data);
    void feed_data(std::string_view data);
    /// The stream ends after what is buffered; wakes the waiting read.
    void feed_eof() noexcept;
    /// EOF was fed and every byte has been read.
    bool at_eof() const noexcept { return eof_ && buffered() == 0; }
    /// Every later read throws `e`; wakes the waiting read with it.
    void set_exception(std::exception_ptr e) noexcept;
    std::exception_ptr exception() const noexcept { return exception_; }
    /// Bytes buffered and not yet read.
    std::size_t buffered() const noexcept { return buffer_.size() - start_; }

    /// Up to n bytes, waiting for at least one unless at EOF ("" then); n < 0 reads to EOF
    /// (asyncio's read(-1)); n == 0 returns "" at once.
    coro<std::string> read(std::ptrdiff_t n = -1);
    /// One line with its "\n"; at EOF the rest without one ("" when nothing is left).
    /// Errors: std::invalid_argument (asyncio's ValueError) when the line is longer than the
    /// limit; the line (up to and with its separator, if buffered) is then dropped.
    coro<std::string> readline();
    /// Exactly n bytes. Errors: incomplete_read_error(partial, n) at EOF, with what was left
    /// (consumed).
    coro<std::string> readexactly(std::size_t n);
    /// The bytes up to and including `separator`.
    /// Errors: incomplete_read_error (partial: the rest, consumed; expected: nullopt) at EOF;
    /// limit_overrun_error when the separator is not within the limit (nothing consumed);
    /// std::invalid_argument for an empty separator.
    coro<std::string> readuntil(std::string_view separator);
    coro<std::string> readuntil() { return readuntil("\n"); }
    /// The same with several separators: the match that ends first wins (the shorter one
    /// on a tie). Errors: std::invalid_argument for an empty list or separator.
    coro<std::string> readuntil(std::span<const std::string_view> separators);

private:
    struct match {
        std::size_t start;
        std::size_t end;
    };

    /// Awaiting it waits for feed_data/feed_eof/set_exception; when the wait ends (also by
    /// cancellation) the reader forgets its waiter. An awaitable, not a coroutine: a waiting
    /// read costs no second frame.
    class data_wait {
    public:
        data_wait(stream_reader& r, future<void> f) noexcept
            : reader_(&r)
            , waiter_(std::move(f)) {}
        data_wait(const data_wait&) = delete;
        data_wait& operator=(const data_wait&) = delete;
        ~data_wait() { reader_->waiter_.reset(); }
        auto operator co_await() & noexcept { return waiter_.operator co_await(); }

    private:
        stream_reader* reader_;
        future<void> waiter_;
    };

    data_wait wait_for_data(const char* caller);
    void wake_waiter() noexcept;
    void maybe_resume_transport() noexcept;
    std::optional<match> find(std::span<const std::string_view> seps, std::size_t from) const;
    std::string take(std::size_t n);
    void check_exception() const;

    std::string buffer_;
    std::size_t start_ = 0; // bytes of buffer_ already read
    std::size_t limit_;
    read_transport* transport_ = nullptr;
    std::optional<future<void>> waiter_;
    std::exception_ptr exception_;
    bool eof_ = false;
    bool paused_ = false;
};

} // namespace coreloop::net
